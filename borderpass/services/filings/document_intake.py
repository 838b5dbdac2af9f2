"""A document photo taken in — 证件照片: stored, read by OCR when its kind is read, attached
to its slot of a draft filing and prefilling the draft's empty fields (R-P1).

The one workflow behind the API's upload (``POST /api/v1/documents``) and the bot's photos
(``bot/intake.py``): each door only gets the bytes (a multipart body, WeChat's media) and
words the outcome. The OCR reader is handed in (the app's pool; canned in tests), so the
domain imports no OCR engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from borderpass.core.errors import BorderPassError, FieldError
from borderpass.models import Document, User
from borderpass.services.filings import documents, filings, prefill
from borderpass.services.filings.requirements import OCR_KINDS, PER_DRIVER_DOCUMENTS, driver_slot
from borderpass.services.ports import Deps

OcrRead = Callable[[str, bytes], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Target:
    """The draft filing and document slot (``driving_licence#2``) a photo is for."""

    filing_id: int
    slot: str


@dataclass(frozen=True)
class Intake:
    """What became of one photo: the stored document, its reading (or why it could not be
    read: the photo is kept either way), and what the reading prefilled."""

    document: Document
    reading: dict[str, Any] | None = None
    ocr_error: str | None = None
    prefill: dict[str, Any] | None = None


def slot_for(kind: str, slot: str | None) -> str:
    """The slot a document of ``kind`` fills: the one named, which must hold that kind,
    else the kind's own (the first driver's, for a per-driver document)."""
    chosen = slot or (driver_slot(kind, 0) if kind in PER_DRIVER_DOCUMENTS else kind)
    if chosen.split("#", 1)[0] != kind:
        raise FieldError("document_wrong_kind", "slot", expected=chosen, found=kind)
    return chosen


async def take(deps: Deps, read: OcrRead, user: User, kind: str, data: bytes,
               target: Target | None = None) -> Intake:
    """Store ``data`` as the user's document of ``kind``, read it, and with a ``target``
    attach it to that draft's slot and prefill the draft (R-P1). A draft that cannot be
    edited is refused before anything is stored."""
    if target is not None:
        await filings.editable(user, target.filing_id)
    doc = await documents.upload(deps, user, kind, data)
    reading, error = await _read(deps, read, doc, data)
    if target is None:
        return Intake(doc, reading, error)
    await filings.update(deps, user, target.filing_id, {"documents": {target.slot: doc.id}})
    filled = None
    if reading:
        filled = await prefill.apply_reading(deps, user, target.filing_id, doc, target.slot,
                                             reading)
    return Intake(doc, reading, error, filled)


async def _read(deps: Deps, read: OcrRead, doc: Document,
                data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The reading of an OCR-able document, stored sealed (R-U7), or the error code: a
    reader that is busy or down loses no photo (the user may retry, or type)."""
    if doc.kind not in OCR_KINDS:
        return None, None
    try:
        reading = await read(doc.kind, data)
    except BorderPassError as exc:
        return None, exc.code
    await documents.save_reading(deps, doc, reading)
    return reading, None
