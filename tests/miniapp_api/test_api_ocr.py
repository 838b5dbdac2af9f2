"""OCR over HTTP with the real engine: read now, and upload that prefills a draft (R-P1)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "ocr"))
import docgen

pytestmark = pytest.mark.usefixtures("db")


def _jpeg(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=92)
    return buf.getvalue()


@pytest.fixture
def licence() -> tuple[bytes, dict[str, str]]:
    if docgen.font_path() is None:
        pytest.skip("no CJK font installed to draw a test document")
    pixels, truth = docgen.vehicle_licence(angle=0)
    return _jpeg(pixels), truth


async def test_read_photo_now(login, licence) -> None:
    alice = await login()
    data, truth = licence
    from aiohttp import FormData

    form = FormData()
    form.add_field("file", data, filename="l.jpg", content_type="image/jpeg")
    status, body = await alice.call("POST", "/api/v1/ocr/vehicle_licence", data=form)
    assert status == 200, body
    assert body["fields"]["vin"]["value"] == truth["vin"]
    assert body["fields"]["plate_number"]["value"] == truth["plate_number"]
    status, err = await alice.call("POST", "/api/v1/ocr/passport", data=form)
    assert status == 422 and err["error"]["field"] == "kind"


async def test_upload_prefills_the_draft(login, licence) -> None:  # R-P1
    alice = await login()
    data, truth = licence
    _, filing = await alice.call("POST", "/api/v1/filings", json={
        "category": "personal", "vehicle": {"model": "用户自己填的"}})
    from aiohttp import FormData

    form = FormData()
    form.add_field("kind", "vehicle_licence")
    form.add_field("filing_id", str(filing["id"]))
    form.add_field("file", data, filename="l.jpg", content_type="image/jpeg")
    status, doc = await alice.call("POST", "/api/v1/documents", data=form)
    assert status == 201, doc
    assert "vehicle.vin" in doc["prefill"]["filled"]
    assert doc["prefill"]["conflicts"] == ["vehicle.model"]
    _, view = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert view["vehicle"]["vin"] == truth["vin"]
    assert view["vehicle"]["model"] == "用户自己填的"
    assert view["documents"]["vehicle_licence"] == doc["id"]


async def test_a_doubtful_value_is_not_prefilled_and_is_flagged(login) -> None:  # R-P5
    if docgen.font_path() is None:
        pytest.skip("no CJK font installed to draw a test document")
    pixels, truth = docgen.vehicle_licence(angle=0, register="2091-08-19")  # in the future
    alice = await login()
    _, filing = await alice.call("POST", "/api/v1/filings", json={"category": "personal"})
    from aiohttp import FormData

    form = FormData()
    form.add_field("kind", "vehicle_licence")
    form.add_field("filing_id", str(filing["id"]))
    form.add_field("file", _jpeg(pixels), filename="l.jpg", content_type="image/jpeg")
    status, doc = await alice.call("POST", "/api/v1/documents", data=form)
    assert status == 201, doc
    read = doc["ocr"]["fields"]["register_date"]
    assert read["value"] == "2091-08-19" and "date_range" in read["warnings"]
    assert read["check"] is True and read["confidence"] < 0.5
    assert doc["ocr"]["fields"]["vin"]["check"] is False
    assert "vehicle.vin" in doc["prefill"]["filled"]
    assert "vehicle.register_date" not in doc["prefill"]["filled"]
    flagged = {item["path"]: item["warnings"] for item in doc["prefill"]["check"]}
    assert "date_range" in flagged["vehicle.register_date"]
    _, view = await alice.call("GET", f"/api/v1/filings/{filing['id']}")
    assert view["vehicle"]["vin"] == truth["vin"]
    assert not view["vehicle"].get("register_date")
    assert "vehicle.register_date" not in view["prefilled"]


async def test_upload_to_someone_elses_filing_stores_nothing(login, licence) -> None:
    from borderpass.models import Document

    alice, bob = await login("alice"), await login("bob")
    _, filing = await alice.call("POST", "/api/v1/filings", json={"category": "personal"})
    status, _ = await bob.upload("vehicle_licence")
    assert status == 201
    from aiohttp import FormData

    form = FormData()
    form.add_field("kind", "vehicle_licence")
    form.add_field("filing_id", str(filing["id"]))
    form.add_field("file", licence[0], filename="l.jpg", content_type="image/jpeg")
    status, err = await bob.call("POST", "/api/v1/documents", data=form)
    assert status == 404 and err["error"]["code"] == "filing_not_found"
    assert await Document.all().count() == 1
