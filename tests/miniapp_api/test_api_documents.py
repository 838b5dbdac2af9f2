"""Document upload over HTTP: type sniffing, size and pixel limits, EXIF, access."""

from __future__ import annotations

import io

import pytest
from factories import jpeg
from PIL import Image

pytestmark = pytest.mark.usefixtures("db")


async def test_upload_and_read_back(login) -> None:
    alice = await login()
    status, doc = await alice.upload("vehicle_licence")
    assert status == 201 and doc["mime"] == "image/jpeg" and doc["width"] == 64
    status, meta = await alice.call("GET", f"/api/v1/documents/{doc['id']}")
    assert status == 200 and meta["sha256"] == doc["sha256"]
    status, data = await alice.call("GET", f"/api/v1/documents/{doc['id']}/file")
    assert status == 200 and data[:3] == b"\xff\xd8\xff"


async def test_exif_is_stripped(login) -> None:
    alice = await login()
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretPhoneMaker"
    exif[0x0112] = 6  # rotate 90° on display
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    status, doc = await alice.upload("photo_side", buf.getvalue())
    assert status == 201 and (doc["width"], doc["height"]) == (30, 40)
    _, data = await alice.call("GET", f"/api/v1/documents/{doc['id']}/file")
    assert b"SecretPhoneMaker" not in data and not Image.open(io.BytesIO(data)).getexif()


@pytest.mark.parametrize(("data", "code"), [
    (b"", "image_empty"),
    (b"%PDF-1.4 not an image", "image_type"),
    (jpeg()[:200], "image_corrupt"),
])
async def test_bad_files_refused(login, data: bytes, code: str) -> None:
    alice = await login()
    status, body = await alice.upload("vehicle_licence", data)
    assert status == 422 and body["error"] == {**body["error"], "code": code, "field": "file"}
    assert body["error"]["message"]


async def test_decompression_bomb_refused_cheaply(login) -> None:
    alice = await login()
    buf = io.BytesIO()
    Image.new("1", (10000, 10000)).save(buf, "PNG")  # 100 MP in a few KB
    status, body = await alice.upload("vehicle_licence", buf.getvalue())
    assert status == 422 and body["error"]["code"] == "image_too_many_pixels"


async def test_too_large_file_refused(login) -> None:
    alice = await login()
    status, body = await alice.upload("vehicle_licence", b"\xff\xd8\xff" + b"0" * 11_000_000)
    assert status == 413 and body["error"]["field"] in {"file", None}


async def test_bad_kind_and_missing_parts(login) -> None:
    alice = await login()
    status, body = await alice.upload("selfie")
    assert status == 422 and body["error"]["field"] == "kind"
    status, body = await alice.call("POST", "/api/v1/documents", json={"kind": "x"})
    assert status == 422 and body["error"]["field"] == "file"


async def test_other_drivers_cannot_read_documents(login, staff_login) -> None:
    from borderpass.models import AuditEvent

    alice, bob = await login("alice"), await login("bob")
    _, doc = await alice.upload("id_card_front")
    for path in (f"/api/v1/documents/{doc['id']}", f"/api/v1/documents/{doc['id']}/file"):
        assert (await bob.call("GET", path))[0] == 404
    reviewer = await staff_login("reviewer")
    assert (await reviewer.call("GET", f"/api/v1/documents/{doc['id']}/file"))[0] == 200
    assert await AuditEvent.filter(subject_type="document", subject_id=doc["id"]).count() == 1
    assert (await alice.call("GET", "/api/v1/documents/abc"))[0] == 404
    assert (await alice.call("GET", "/api/v1/documents/99999"))[0] == 404
