"""Uploaded documents: sniffed, size- and bomb-guarded, EXIF-stripped, content-addressed."""

from __future__ import annotations

import json
from typing import Any

from borderpass.core.errors import FieldError, NotFound
from borderpass.core.images import sanitize_image
from borderpass.models import Document, User
from borderpass.models.enums import STAFF_ROLES
from borderpass.services import audit
from borderpass.services.ports import Deps
from borderpass.services.requirements import DOCUMENT_KINDS

SEALED = "sealed"  # the one key of a sealed reading: {"sealed": token}


async def upload(deps: Deps, owner: User, kind: str, data: bytes) -> Document:
    """Store one image of ``kind`` for ``owner``; bad files are refused, nothing stored."""
    if kind not in DOCUMENT_KINDS:
        raise FieldError("document_kind", "kind", kinds=", ".join(DOCUMENT_KINDS))
    image = sanitize_image(data, max_bytes=deps.max_upload_bytes)
    digest = deps.files.put(image.data)
    return await Document.create(
        owner=owner, kind=kind, sha256=digest, mime=image.mime, size=len(image.data),
        width=image.width, height=image.height,
    )


def _reading_context(doc: Document) -> str:
    return f"document.ocr:{doc.id}"


def seal_reading(deps: Deps, doc: Document, reading: dict[str, Any]) -> None:
    """Keep an OCR reading on the document sealed: it holds the numbers it read (R-U7)."""
    text = json.dumps(reading, ensure_ascii=False)
    doc.ocr = {SEALED: deps.cipher.encrypt(text, _reading_context(doc))}


def reading_of(deps: Deps, doc: Document) -> dict[str, Any] | None:
    """The document's OCR reading, unsealed (a clear one from before sealing as it is)."""
    if not doc.ocr:
        return None
    if set(doc.ocr) != {SEALED}:
        return doc.ocr
    opened: dict[str, Any] = json.loads(deps.cipher.decrypt(doc.ocr[SEALED],
                                                            _reading_context(doc)))
    return opened


async def save_reading(deps: Deps, doc: Document, reading: dict[str, Any]) -> None:
    """Store an OCR reading on the document, sealed."""
    seal_reading(deps, doc, reading)
    await doc.save(update_fields=["ocr"])


async def visible_document(user: User, document_id: int) -> Document:
    """A document its owner or a staff member may see; others get 404, not 403 (no probing)."""
    doc = await Document.get_or_none(id=document_id)
    if doc is None:
        raise NotFound("document_not_found", "id")
    if doc.owner_id != user.id:  # type: ignore[attr-defined]
        if not user.has_role(*STAFF_ROLES):
            raise NotFound("document_not_found", "id")
        await audit.record(user, "read", "document", doc.id, ["image"], kind=doc.kind)
    return doc


async def document_bytes(deps: Deps, doc: Document) -> bytes:
    """The stored content of a document."""
    try:
        return deps.files.get(doc.sha256)
    except FileNotFoundError as exc:
        raise NotFound("document_missing", "id") from exc


async def owned_document(user: User, document_id: object, field: str) -> Document:
    """A document of ``user`` given by id in a request field; others are refused."""
    if not isinstance(document_id, int) or isinstance(document_id, bool):
        raise FieldError("type_int", field)
    doc = await Document.get_or_none(id=document_id)
    if doc is None or doc.owner_id != user.id:  # type: ignore[attr-defined]
        raise FieldError("document_not_found", field)
    return doc

