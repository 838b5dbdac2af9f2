"""The chat bot's port choice comes from the ports table (issue 26)."""

from __future__ import annotations

import pytest
from factories import approved_filing

from borderpass.models import Declaration
from borderpass.services.crossings import land_ports
from borderpass.services.identity import chat_users

pytestmark = pytest.mark.usefixtures("db")


async def test_ports_offered_are_the_tables_active_ones(wechat_user, deps) -> None:
    user = wechat_user("oa-ports")
    await user.say("English")
    me = await chat_users.official_account_user("oa-ports")
    await approved_filing(deps, me)
    await land_ports.add({"code": "tengchong", "name_zh": "腾冲", "name_my": "တိန်ချုံး",
                          "name_en": "Tengchong"})
    await land_ports.set_active("ruili", False)
    asked = (await user.say("declare")).text
    assert "1 Yonghe" in asked and "Tengchong" in asked and "Ruili" not in asked
    assert "Mengding" not in asked  # an alias is never offered
    check = await user.say("Tengchong")  # a port by its name
    assert "Port: Tengchong" in check.text, check.text
    assert "accepted" in (await user.say("1")).text
    assert (await Declaration.get()).port == "tengchong"
