"""The bot names the fields whose reading was not sure enough to fill (R-P5, issue #25)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from factories import VIN, jpeg

from borderpass.bot import texts as T
from borderpass.core.i18n import translate

pytestmark = pytest.mark.usefixtures("db")


def _field(value: str, confidence: float, *warnings: str) -> dict[str, object]:
    return {"value": value, "confidence": confidence, "warnings": list(warnings)}


@pytest.mark.parametrize("locale", ["zh_CN", "en", "my"])
async def test_fields_to_check_are_named_in_the_users_language(
        wechat_user, bot, fake_wechat, readings, locale) -> None:  # R-P5
    readings["vehicle_licence"] = {"kind": "vehicle_licence", "warnings": [], "fields": {
        "vin": _field(VIN, 0.99),
        "owner": _field("贾风", 0.85),  # clear to the recogniser, not sure enough to fill
        "register_date": _field("2091-08-19", 0.45, "date_range"),
        "plate_number": _field("云N12345", 0.98),
    }}
    user = wechat_user(f"oa-check-{locale}")
    await user.say({"zh_CN": "中文", "en": "English", "my": "မြန်မာဘာသာ"}[locale])
    await user.say("备案")
    await user.say("1")
    await user.say("1")  # the owner files
    await user.photo(fake_wechat.add_media(jpeg()))
    await bot.drain()
    answer = "\n".join(m.body["text"]["content"] for m in fake_wechat.messages("custom"))
    names = [translate(label, locale) for label in ("所有人", "注册日期")]
    listed = ("、" if locale == "zh_CN" else ", ").join(names)
    assert translate(T.READ_CHECK, locale, fields=listed) in answer
    from borderpass.models import Filing

    filing = await Filing.filter(plate_number="云N12345").first()
    assert filing is not None
    assert filing.data["vehicle"].get("vin") == VIN
    assert not filing.data["vehicle"].get("owner_name")
    assert not filing.data["vehicle"].get("register_date")
