"""The must-show test of deletion on request (R-D7): afterwards a dump of the database
(pg_dump on PostgreSQL, the file's bytes on SQLite) and the document store hold no clear
personal value of the person — name, identity number, phones, plate, image bytes — nor
their blind-index forms or their wrapped subject key; and a copy of the store taken before
the deletion (a backup) no longer opens for them. Another person's data is all still there
(the search itself works)."""

from __future__ import annotations

import glob
import hashlib
import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from factories import jpeg, personal_body
from sealing_helpers import (
    MINIAPP_APPID,
    MINIAPP_SECRET,
    TEST_DB,
    TEST_KEY,
    TEST_REDIS,
    database_bytes,
    own_database,
    uploaded_files,
    wx_login,
)
from tortoise import Tortoise

from borderpass.adapters.db import init_db
from borderpass.adapters.storage import FileStore
from borderpass.core.config import Settings
from borderpass.core.crypto import CryptoError, SubjectCipher, subject_of
from borderpass.models import SubjectKey
from borderpass.services.validators import make_id_number

NAME, OTHER_NAME = "岩罕擦", "玉腊温"
ID_NUMBER = make_id_number("533102", date(1979, 11, 5), 613)
OTHER_ID = make_id_number("533102", date(1990, 2, 9), 128)
PHONE, PROFILE_PHONE, OTHER_PHONE = "13955550123", "13955550199", "13955550777"
PLATE, OTHER_PLATE = "云N65432", "云N65499"
DISPLAY = "SawHtooErase"


@pytest.fixture
async def own_db(tmp_path: Path) -> AsyncIterator[str]:
    """A database of this test alone (nothing another test wrote can be in its dump)."""
    if TEST_DB and not shutil.which("pg_dump") \
            and not glob.glob("/usr/lib/postgresql/*/bin/pg_dump"):
        pytest.skip("pg_dump is not installed")
    async with own_database(tmp_path, "erase") as url:
        yield url


async def _person(client, fake_wechat, who: str, name: str, id_number: str, phone: str,
                  plate: str, shade: int) -> tuple[object, list[bytes]]:  # type: ignore[no-untyped-def]
    """A driver with a profile, a draft of every document, a loose permit, and an export."""
    from borderpass.services.filings.requirements import PER_DRIVER_DOCUMENTS, base_documents

    caller = await wx_login(client, fake_wechat, who)
    status, me = await caller.call("PATCH", "/api/v1/me",
                                   json={"display_name": DISPLAY if who == "eraser" else who,
                                         "phone": PROFILE_PHONE if who == "eraser"
                                         else OTHER_PHONE})
    assert status == 200, me
    body = personal_body(plate_number=plate)
    body["vehicle"]["owner_name"] = name
    body["owner"]["id_number"] = id_number
    body["drivers"] = [{"name": name, "id_number": id_number, "licence_number": id_number,
                        "permit_number": "C55512345", "phone": phone, "is_owner": True}]
    images, ids = [], {}
    slots = [*base_documents(body_category()), *(f"{k}#1" for k in PER_DRIVER_DOCUMENTS)]
    for n, slot in enumerate(slots):
        status, doc = await caller.upload(slot.split("#")[0],
                                          jpeg(60 + n, 40 + shade, color=f"#{shade:02x}{n:02x}40"))
        assert status == 201, doc
        ids[slot] = doc["id"]
        status, stored = await caller.call("GET", f"/api/v1/documents/{doc['id']}/file")
        images.append(stored)
    body["documents"] = ids
    status, draft = await caller.call("POST", "/api/v1/filings", json=body)
    assert status == 201, draft
    status, loose = await caller.upload("exit_entry_permit", jpeg(90, 44 + shade))
    assert status == 201
    status, stored = await caller.call("GET", f"/api/v1/documents/{loose['id']}/file")
    images.append(stored)
    status, _ = await caller.call("GET", "/api/v1/me/data")
    assert status == 202
    return caller, images


def body_category():  # type: ignore[no-untyped-def]
    from borderpass.models.enums import FilingCategory

    return FilingCategory.PERSONAL


def _found(blob: bytes, values: list[bytes]) -> list[bytes]:
    return [v for v in values if v in blob]


def _image_marks(images: list[bytes]) -> list[bytes]:
    """A distinctive run of each image's bytes (its compressed data, past the headers)."""
    return [img[len(img) // 2:len(img) // 2 + 48] for img in images]


async def test_after_deletion_nothing_of_the_person_is_left_in_clear(
        own_db, redis, fake_wechat, aiohttp_client, tmp_path) -> None:  # R-D7
    from borderpass.app.factory import create_app
    from borderpass.services import sweeps
    from borderpass.web.appkeys import DEPS

    data_dir = tmp_path / "var"
    settings = Settings(data_dir=data_dir, database_url=own_db, redis_url=TEST_REDIS,
                        data_key=TEST_KEY, wechat_api_base=fake_wechat.base_url,
                        miniapp_appid=MINIAPP_APPID, miniapp_secret=MINIAPP_SECRET,
                        sweep_interval=0)
    client = await aiohttp_client(create_app(settings))
    deps = client.app[DEPS]
    eraser, images = await _person(client, fake_wechat, "eraser", NAME, ID_NUMBER, PHONE,
                                   PLATE, 11)
    _other, other_images = await _person(client, fake_wechat, "keeper", OTHER_NAME, OTHER_ID,
                                        OTHER_PHONE, OTHER_PLATE, 77)
    assert (await sweeps.run_sweeps(deps))["data_exports"] == 2  # zips with the images
    wrapped = (await SubjectKey.get(user_id=eraser.user_id)).wrapped
    backup = tmp_path / "backup"
    shutil.copytree(data_dir / "uploads", backup / "uploads")  # last night's backup of the store

    status, done = await eraser.call("POST", "/api/v1/me/deletion", json={"confirm": True})
    assert status == 200 and done["account_erased"] and done["kept"] == [], done
    await client.close()
    await Tortoise.close_connections()  # everything on disk (SQLite's WAL included)

    cipher = deps.cipher
    theirs = [v.encode() for v in (NAME, ID_NUMBER, PHONE, PROFILE_PHONE, PLATE, DISPLAY,
                                   wrapped)]
    theirs += [cipher.blind_index(ID_NUMBER, "id_number").encode(),
               cipher.blind_index(PHONE, "phone").encode(),
               cipher.blind_index(PROFILE_PHONE, "phone").encode(),
               *(hashlib.sha256(img).hexdigest().encode() for img in images)]
    marks = _image_marks(images)
    dump = await database_bytes(own_db)
    # the search finds the other person's values: it would find the eraser's
    assert OTHER_ID.encode() not in dump  # sealed, as always (R-U7)
    assert OTHER_PLATE.encode() in dump and OTHER_NAME.encode() in dump
    assert cipher.blind_index(OTHER_ID, "id_number").encode() in dump
    assert _found(dump, theirs) == []
    assert _found(dump, marks) == []

    store = b"".join(p.read_bytes() for p in uploaded_files(data_dir))
    assert _found(store, marks + _image_marks(other_images)) == []  # sealed, all of it
    files = FileStore(data_dir / "uploads", cipher)
    assert not [p for p in uploaded_files(data_dir)
                if subject_of(p.read_bytes()) == eraser.user_id]  # their files are gone
    # last night's backup: their files are there, sealed under a key that no longer exists
    old = [p for p in uploaded_files(backup) if subject_of(p.read_bytes()) == eraser.user_id]
    assert len(old) >= len(images)
    await init_db(own_db, apply_migrations=False)
    assert not await SubjectKey.filter(user_id=eraser.user_id).exists()
    stale = FileStore(backup / "uploads", cipher)
    for path in old:
        name = path.parent.name + path.name
        with pytest.raises(CryptoError):
            stale.get(name)  # the data key alone does not open a subject's file
        guess = SubjectCipher(hashlib.sha256(b"not the key").digest(), eraser.user_id)
        with pytest.raises(CryptoError):
            stale.get(name, guess)
    assert files.root.exists()
