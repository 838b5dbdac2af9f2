"""The chat bot's door says of a VIN check-digit error what the API says (R-E4): one of the
17 characters is wrong, compare each with the certificate; never a digit to type."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from factories import OWNER_ID, VIN, jpeg
from test_bot_flows import _answer, _field

from borderpass.core.messages import error_message
from borderpass.models import Filing

pytestmark = pytest.mark.usefixtures("db")
TYPO = VIN[:11] + ("7" if VIN[11] != "7" else "8") + VIN[12:]  # a slip at position 12


@pytest.fixture
def typo_readings(readings: dict[str, Any]) -> dict[str, Any]:
    readings["vehicle_licence"] = {"kind": "vehicle_licence", "fields": {
        "plate_number": _field("云N54321"), "vin": _field(TYPO),
        "vehicle_type": _field("小型轿车"),
        "model": _field("大众牌SVW7"), "owner": _field("岩温"),
        "register_date": _field("2019-05-01")}}
    readings["id_card_front"] = {"kind": "id_card_front", "fields": {
        "name": _field("岩温"), "id_number": _field(OWNER_ID)}}
    readings["driving_licence"] = {"kind": "driving_licence", "fields": {
        "licence_number": _field(OWNER_ID)}}
    readings["exit_entry_permit"] = {"kind": "exit_entry_permit", "fields": {
        "permit_number": _field("C12345678")}}
    return readings


async def test_bot_vin_check_digit_message(wechat_user, fake_wechat, bot, typo_readings) -> None:
    user = wechat_user("oa-vin")
    await user.event("subscribe")
    await user.say("3")  # English
    prompt = (await user.say("file")).text
    prompt = (await user.say("1")).text
    expected = error_message("vin_checksum", "en", {"position": 9})
    told = []
    for _ in range(50):
        if "commitment" in prompt:
            break
        if expected in prompt:
            told.append(prompt)
            prompt = (await user.say(VIN)).text  # checked against the certificate
        elif "enter: vehicle identification number" in prompt.lower():
            prompt = (await user.say(TYPO)).text  # typed as misread
        elif "send a photo" in prompt:
            await user.photo(fake_wechat.add_media(jpeg()))
            await bot.drain()
            prompt = fake_wechat.messages("custom")[-1].body["text"]["content"]
            if "I read" in prompt:
                prompt = (await user.say("1")).text
        else:
            prompt = (await user.say(_answer(prompt))).text
    assert told, "the bot never showed the check-digit message"
    for text in told:  # the same words as the API, with no digit to type
        assert set(re.findall(r"[0-9]+", expected)) == {"17", "9"}
        assert "should be" not in text.lower() and "TYPO" not in text
    assert "commitment" in prompt
    await user.say("1")
    assert (await Filing.get(plate_number="云N54321")).vin == VIN
