"""Personal data at rest (R-U7): after a whole journey, no number or phone is found in clear
in a dump of the database (pg_dump, or the SQLite file's bytes), in the server log, or in
the uploaded files; clear values from before sealing stay readable until resealed."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sealing_helpers import (
    DRIVER_PHONE,
    EXPORT_PHONE,
    IMAGE_HEADERS,
    LICENCE,
    MINIAPP_APPID,
    MINIAPP_SECRET,
    OWNER,
    PROFILE_PHONE,
    TEST_KEY,
    TEST_REDIS,
    UNIT_PHONE,
    clear_in,
    cli,
    cli_env,
    database_bytes,
    journey,
    own_database,
    uploaded_files,
)
from tortoise import Tortoise

from borderpass.core.config import Settings
from borderpass.core.crypto import FILE_MAGIC, SUBJECT_MAGIC, FieldCipher
from borderpass.core.logs import JsonFormatter
from borderpass.core.masking import mask_number, mask_phone
from borderpass.models import FilingDriver, User
from borderpass.models.export import EnterpriseFiling
from borderpass.models.units import Membership, Unit


@pytest.fixture
async def own_db(tmp_path: Path) -> AsyncIterator[str]:
    """A database of this test alone (nothing another test wrote can be in its dump)."""
    async with own_database(tmp_path, "seal") as url:
        yield url


@pytest.fixture
def server_log() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, at DEBUG, as the server writes it (JSON)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    for dead in [h for h in root.handlers if getattr(getattr(h, "stream", None), "closed", 0)]:
        root.removeHandler(dead)  # left by a test that ran `main()` under captured stderr
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield out
    root.removeHandler(handler)
    root.setLevel(old_level)


async def test_journey_leaves_nothing_in_clear(own_db, server_log, redis, fake_wechat,
                                               aiohttp_client, tmp_path) -> None:  # R-U7

    from borderpass.app.factory import create_app

    data_dir = tmp_path / "var"
    settings = Settings(data_dir=data_dir, database_url=own_db, redis_url=TEST_REDIS,
                        data_key=TEST_KEY, wechat_api_base=fake_wechat.base_url,
                        miniapp_appid=MINIAPP_APPID, miniapp_secret=MINIAPP_SECRET,
                        sweep_interval=0)
    client = await aiohttp_client(create_app(settings))
    done = await journey(client, fake_wechat)
    await client.close()
    await Tortoise.close_connections()  # everything on disk (SQLite's WAL included)

    dump = await database_bytes(own_db)
    assert "瑞丽封存测试有限公司".encode() in dump  # the grep sees what is stored in clear
    assert clear_in(dump) == []
    assert server_log.getvalue() and clear_in(server_log.getvalue().encode()) == []

    files = uploaded_files(data_dir)
    assert len(files) >= 8
    for path in files:
        blob = path.read_bytes()
        assert blob.startswith((FILE_MAGIC, SUBJECT_MAGIC))  # R-D7: a person's under their key
        assert not blob.startswith(IMAGE_HEADERS)
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
    assert (data_dir / "uploads").stat().st_mode & 0o777 == 0o700

    await Tortoise.init(config=__import__("borderpass.adapters.db", fromlist=["x"])
                        .tortoise_config(own_db))
    cipher = FieldCipher(base64.b64decode(TEST_KEY))
    driver = await FilingDriver.get(id=done["filing"]["drivers"][0]["id"])
    assert cipher.decrypt(driver.sealed["phone"], "driver.phone") == DRIVER_PHONE  # not lost
    assert driver.phone == "" and driver.phone_key == cipher.blind_index(DRIVER_PHONE, "phone")


async def test_sealed_values_read_back_and_display_as_before(client, login, staff_login,
                                                             fake_wechat, data_dir) -> None:
    done = await journey(client, fake_wechat)
    alice, filing = done["alice"], done["filing"]
    status, own = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert status == 200 and own["drivers"][0]["phone"] == mask_phone(DRIVER_PHONE)
    status, unit = await alice.call("GET", f"/api/v1/units/{done['unit']['id']}")
    assert unit["contact_phone"] == mask_phone(UNIT_PHONE)  # masked for every viewer (R-U7)
    status, me = await alice.call("GET", "/api/v1/me")
    assert me["phone"] == mask_phone(PROFILE_PHONE)
    assert done["export"]["contact_phone"] == mask_phone(EXPORT_PHONE)
    doc_id = next(iter(filing["documents"].values()))
    status, image = await alice.call("GET", f"/api/v1/documents/{doc_id}/file")
    assert status == 200 and image.startswith(b"\xff\xd8\xff")  # opened on the way out
    member = await Membership.get(id=done["member"]["id"])
    assert member.phone == "" and "phone" in member.sealed and member.phone_key
    from borderpass.models import Document

    readings = [d.ocr for d in await Document.all() if d.ocr is not None]
    assert readings and all(set(r) == {"sealed"} for r in readings)  # OCR readings sealed
    id_card = next(d for d in await Document.filter(kind="id_card_front") if d.ocr)
    status, shown = await alice.call("GET", f"/api/v1/documents/{id_card.id}")
    assert status == 200 and isinstance(shown["ocr"], dict) and "sealed" not in shown["ocr"]


async def test_clear_values_from_before_sealing_stay_readable_until_resealed(
        client, fake_wechat, settings, data_dir) -> None:  # R-U7
    done = await journey(client, fake_wechat)
    alice, filing = done["alice"], done["filing"]
    # Rows and a file as they were stored before sealing existed: phones in clear, plain file.
    driver_id = filing["drivers"][0]["id"]
    driver = await FilingDriver.get(id=driver_id)
    await FilingDriver.filter(id=driver_id).update(
        phone=DRIVER_PHONE, phone_key=None,
        sealed={k: v for k, v in driver.sealed.items() if k != "phone"})
    await Unit.filter(id=done["unit"]["id"]).update(contact_phone=UNIT_PHONE, sealed={},
                                                    contact_phone_key=None)
    await User.filter(id=alice.user_id).update(phone=PROFILE_PHONE, sealed={}, phone_key=None)
    export = await EnterpriseFiling.get(id=done["export"]["id"])
    await EnterpriseFiling.filter(id=export.id).update(
        data={**export.data, "contact_phone": EXPORT_PHONE}, sealed={})
    doc_id = next(iter(filing["documents"].values()))
    from borderpass.models import Document

    status, image = await alice.call("GET", f"/api/v1/documents/{doc_id}/file")
    await Document.filter(id=doc_id).update(file_name=None)  # stored before R-D7
    doc = await Document.get(id=doc_id)
    path = data_dir / "uploads" / doc.sha256[:2] / doc.sha256[2:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image)
    path.chmod(0o644)

    reading = {"kind": "id_card_front", "warnings": [], "fields": {
        "id_number": {"value": OWNER, "confidence": 0.99, "warnings": []}}}
    await Document.filter(id=doc_id).update(ocr=reading)  # an OCR reading in clear
    status, own = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert own["drivers"][0]["phone"] == mask_phone(DRIVER_PHONE)  # legacy still readable
    status, shown = await alice.call("GET", f"/api/v1/documents/{doc_id}")
    assert shown["ocr"]["fields"]["id_number"]["value"] == mask_number(OWNER)  # read, masked
    status, again = await alice.call("GET", f"/api/v1/documents/{doc_id}/file")
    assert again == image

    result = await asyncio.to_thread(cli, ["keys", "reseal"],
                                     cli_env(settings, BORDERPASS_DATA_KEY=TEST_KEY))
    assert result.returncode == 0, result.stderr
    assert DRIVER_PHONE not in result.stdout + result.stderr

    cipher = FieldCipher(base64.b64decode(TEST_KEY))
    driver = await FilingDriver.get(id=driver_id)
    assert driver.phone == "" and cipher.decrypt(driver.sealed["phone"], "driver.phone") \
        == DRIVER_PHONE and driver.phone_key == cipher.blind_index(DRIVER_PHONE, "phone")
    unit = await Unit.get(id=done["unit"]["id"])
    assert unit.contact_phone == "" and cipher.decrypt(
        unit.sealed["contact_phone"], "unit.contact_phone") == UNIT_PHONE
    user = await User.get(id=alice.user_id)
    assert user.phone is None and cipher.decrypt(user.sealed["phone"], "user.phone") \
        == PROFILE_PHONE
    export = await EnterpriseFiling.get(id=export.id)
    assert "contact_phone" not in export.data and cipher.decrypt(
        export.sealed["contact_phone"], "export.contact_phone") == EXPORT_PHONE
    assert path.read_bytes().startswith(FILE_MAGIC) and path.stat().st_mode & 0o777 == 0o600
    status, after = await alice.call("GET", f"/api/v1/documents/{doc_id}/file")
    assert after == image
    sealed_doc = await Document.get(id=doc_id)
    assert set(sealed_doc.ocr) == {"sealed"} and OWNER not in str(sealed_doc.ocr)
    status, shown = await alice.call("GET", f"/api/v1/documents/{doc_id}")
    assert shown["ocr"]["fields"]["id_number"]["value"] == mask_number(OWNER)  # read, masked
    status, own = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert status == 200 and own["drivers"][0]["phone"] == mask_phone(DRIVER_PHONE)
    again = await asyncio.to_thread(cli, ["keys", "status"],
                                    cli_env(settings, BORDERPASS_DATA_KEY=TEST_KEY))
    assert again.returncode == 0 and "left to seal: nothing" in again.stdout, again.stdout
    assert LICENCE and OWNER  # the journey's numbers, sealed from the start




async def test_editing_a_driver_seals_a_phone_stored_in_clear(login, deps) -> None:  # R-U7
    from factories import personal_body

    alice = await login()
    status, filing = await alice.call("POST", "/api/v1/filings", json=personal_body())
    assert status == 201, filing
    driver_id = filing["drivers"][0]["id"]
    driver = await FilingDriver.get(id=driver_id)
    await FilingDriver.filter(id=driver_id).update(  # as stored before sealing
        phone=DRIVER_PHONE, sealed={k: v for k, v in driver.sealed.items() if k != "phone"})
    status, edited = await alice.call("PATCH", f"/api/v1/filings/{filing['id']}",
                                      json={"drivers": [{"id": driver_id, "name": "岩温"}]})
    assert status == 200, edited
    assert edited["drivers"][0]["phone"] == mask_phone(DRIVER_PHONE)
    driver = await FilingDriver.get(id=driver_id)
    assert driver.phone == "" and deps.cipher.decrypt(driver.sealed["phone"],
                                                      "driver.phone") == DRIVER_PHONE
    assert driver.phone_key == deps.cipher.blind_index(DRIVER_PHONE, "phone")
