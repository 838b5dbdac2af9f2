"""The API's error message in each locale: the field's label, then the message, separated
as the reader's script separates (services/error_text.py)."""

from __future__ import annotations

import pytest

from borderpass.core.messages import error_message
from borderpass.models import User

pytestmark = pytest.mark.usefixtures("db")


@pytest.mark.parametrize(("language", "locale", "label"), [
    ("zh-CN", "zh_CN", "车辆识别代号："), ("en", "en", "Vehicle identification number (VIN): ")])
async def test_message_names_the_field(login, language: str, locale: str, label: str) -> None:
    alice = await login()
    await User.all().update(locale=locale)  # the user's own choice wins over the header
    status, body = await alice.call(
        "POST", "/api/v1/filings", headers={"Accept-Language": language},
        json={"category": "personal", "vehicle": {"vin": "LSVAMO187C2218360"}})
    assert status == 422 and body["error"]["code"] == "vin_letter_o"
    expected = label + error_message("vin_letter_o", locale,
                                     {"position": 6, "char": "O", "suggestion": "0"})
    assert body["error"]["message"] == expected


async def test_burmese_message_is_ascii_separated(login) -> None:
    alice = await login()
    await User.all().update(locale="my")
    status, body = await alice.call(
        "POST", "/api/v1/filings", headers={"Accept-Language": "my"},
        json={"category": "personal", "vehicle": {"vin": "LSVAMO187C2218360"}})
    assert status == 422
    assert "：" not in body["error"]["message"] and ": " in body["error"]["message"]
