"""Issue #18 item 6: no false "nothing could be read" after photos the OCR read exactly.

The cause: the intake said "nothing read" whenever a reading filled no *empty* form field.
A VIN plate repeats the vehicle licence's VIN (already filled: it matches), and an ID
card's back side carries issuing authority and validity, which the form does not hold
(kept on the document for the reviewer). Now the answer says what happened: matched, kept,
or — only when no field had a value — nothing read.

The readings here are the real reader's (rapidocr) of the DEV samples under
``../shared/ocr-samples``; the test skips when the samples or the engine are absent.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ocr"))
from factories import jpeg
from ocr_helpers import samples_dir

from borderpass.bot import texts as T
from borderpass.core.i18n import translate
from borderpass.services.identity import chat_users

pytestmark = pytest.mark.usefixtures("db")
SAMPLES = samples_dir()
KINDS = ("vehicle_licence", "vin_plate", "id_card_front", "id_card_back")


@functools.cache
def _real_readings() -> dict[str, dict[str, Any]]:
    """The reader's output for one sample of each kind (seed 0, clean), checked exact."""
    from ocr_helpers import make_engine

    from borderpass.ocr.pool import read_job

    assert SAMPLES is not None
    truth = {e["file"]: e for e in
             json.loads((SAMPLES / "truth.json").read_text(encoding="utf-8"))["images"]}
    engine = make_engine()
    out = {}
    for kind in KINDS:
        name = f"{kind}_clean_s0.jpg"
        reading = read_job(engine, kind, (SAMPLES / name).read_bytes())
        for field, value in truth[name]["fields"].items():
            if field in reading["fields"]:
                assert reading["fields"][field]["value"] == value, (name, field)
        out[kind] = reading
    return out


@pytest.fixture(scope="module")
def sample_readings() -> dict[str, dict[str, Any]]:
    """Read before any app starts (module scope): the engine blocks while it loads."""
    if SAMPLES is None:
        pytest.skip("OCR samples absent (../shared/ocr-samples or $BORDERPASS_OCR_SAMPLES)")
    pytest.importorskip("rapidocr", reason="the rapidocr engine is not installed")
    return _real_readings()


@pytest.fixture
def real_readings(sample_readings: dict[str, Any], readings: dict[str, Any]
                  ) -> dict[str, Any]:
    readings.update(sample_readings)
    return readings


@pytest.mark.parametrize("locale", ["zh_CN", "en", "my"])
async def test_exact_readings_are_never_called_unreadable(wechat_user, bot, fake_wechat,
                                                          real_readings, locale) -> None:
    openid = f"oa-ocr-{locale}"
    user = wechat_user(openid)
    await user.say({"zh_CN": "中文", "en": "English", "my": "မြန်မာဘာသာ"}[locale])
    await user.say("备案")
    await user.say("1")
    await user.say("1")  # the owner files
    for i in range(len(KINDS)):  # licence, VIN plate, ID front, ID back: one multi-photo pick
        await user.photo(fake_wechat.add_media(jpeg(width=80 + i)))
    await bot.drain()
    answer = "\n".join(m.body["text"]["content"] for m in fake_wechat.messages("custom"))
    assert translate(T.READ_NOTHING, locale) not in answer
    vin = translate("车辆识别代号", locale)
    assert translate(T.READ_MATCHES, locale, fields=vin) in answer  # the plate's VIN
    assert translate(T.READ_KEPT, locale) in answer  # the ID card's back side
    me = await chat_users.official_account_user(openid)
    from borderpass.models import Document
    from borderpass.services.filings import documents

    back = await Document.get(owner_id=me.id, kind="id_card_back")
    reading = documents.reading_of(bot.deps, back)  # stored sealed (R-U7)
    assert reading and reading["fields"]["valid_until"]["value"]  # kept for the reviewer


async def test_a_blank_photo_is_still_said_unreadable(wechat_user, bot, fake_wechat,
                                                      readings) -> None:
    readings["vehicle_licence"] = {"kind": "vehicle_licence", "fields": {
        "vin": {"value": None, "confidence": 0.0, "warnings": ["no_text"]}}}
    user = wechat_user("oa-blank")
    await user.say("English")
    await user.say("file")
    await user.say("1")
    await user.say("1")
    await user.photo(fake_wechat.add_media(jpeg()))
    await bot.drain()
    answer = fake_wechat.messages("custom")[-1].body["text"]["content"]
    assert translate(T.READ_NOTHING, "en") in answer
