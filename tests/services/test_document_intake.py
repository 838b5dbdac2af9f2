"""The one photo workflow behind both doors (R-P1): stored, read, attached, prefilled; a
reader that fails keeps the photo; a draft that cannot be edited stores nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from factories import consented, driver_user, jpeg, submitted_filing

from borderpass.core.errors import BorderPassError, Conflict, FieldError, Unavailable
from borderpass.models import Document, Filing
from borderpass.presenters import filings as present
from borderpass.services.filings import document_intake, documents, filings
from borderpass.services.filings.document_intake import Target

pytestmark = pytest.mark.usefixtures("db")
PLATE = "云N54321"


def _reader(calls: list[str], fail: BorderPassError | None = None) -> Any:
    async def read(kind: str, data: bytes) -> dict[str, Any]:
        calls.append(kind)
        if fail is not None:
            raise fail
        fields = {"plate_number": {"value": PLATE, "confidence": 0.99}}
        return {"kind": kind, "fields": fields if kind == "vehicle_licence" else {}}
    return read


def test_slot_for() -> None:
    assert document_intake.slot_for("vehicle_licence", None) == "vehicle_licence"
    assert document_intake.slot_for("driving_licence", None) == "driving_licence#1"
    assert document_intake.slot_for("driving_licence", "driving_licence#2") == \
        "driving_licence#2"
    with pytest.raises(FieldError) as err:
        document_intake.slot_for("id_card_front", "driving_licence#1")
    assert (err.value.code, err.value.field) == ("document_wrong_kind", "slot")


async def test_read_attached_and_prefilled(deps) -> None:  # R-P1
    user = await consented(await driver_user())
    draft = await filings.create(deps, user, {"category": "personal"})
    calls: list[str] = []
    taken = await document_intake.take(deps, _reader(calls), user, "vehicle_licence", jpeg(),
                                       Target(draft.id, "vehicle_licence"))
    assert calls == ["vehicle_licence"] and taken.ocr_error is None
    assert taken.prefill is not None and taken.reading is not None
    assert documents.reading_of(deps, taken.document) == taken.reading  # stored, sealed
    filing = await Filing.get(id=draft.id)
    assert filing.plate_number == PLATE


async def test_unread_kind_is_only_stored(deps) -> None:
    user = await consented(await driver_user())
    calls: list[str] = []
    taken = await document_intake.take(deps, _reader(calls), user, "photo_side", jpeg())
    assert calls == [] and taken.reading is None and taken.prefill is None
    assert await Document.filter(id=taken.document.id).exists()


@pytest.mark.parametrize("fail", [Unavailable("ocr_busy", retry_after=1),
                                  BorderPassError("ocr_failed")])
async def test_failed_reading_keeps_the_photo(deps, fail: BorderPassError) -> None:
    user = await consented(await driver_user())
    draft = await filings.create(deps, user, {"category": "personal"})
    taken = await document_intake.take(deps, _reader([], fail), user, "vehicle_licence",
                                       jpeg(), Target(draft.id, "vehicle_licence"))
    assert taken.ocr_error == fail.code and taken.reading is None and taken.prefill is None
    slots = present.filing(await filings.view(deps, await Filing.get(id=draft.id)),
                           user.locale)["documents"]
    assert slots["vehicle_licence"] == taken.document.id  # attached all the same


async def test_submitted_draft_stores_nothing(deps) -> None:
    user = await consented(await driver_user())
    filing = await submitted_filing(deps, user)
    before = await Document.all().count()
    calls: list[str] = []
    with pytest.raises(Conflict) as err:
        await document_intake.take(deps, _reader(calls), user, "vehicle_licence", jpeg(),
                                   Target(filing.id, "vehicle_licence"))
    assert err.value.code == "filing_not_editable"
    assert await Document.all().count() == before and calls == []


async def test_someone_elses_draft_is_not_found(deps) -> None:
    owner = await consented(await driver_user())
    draft = await filings.create(deps, owner, {"category": "personal"})
    mallory = await consented(await driver_user("mallory"))
    with pytest.raises(BorderPassError) as err:
        await document_intake.take(deps, _reader([]), mallory, "vehicle_licence", jpeg(),
                                   Target(draft.id, "vehicle_licence"))
    assert err.value.code == "filing_not_found"
