"""Uploaded documents: sniffed, size- and bomb-guarded, EXIF-stripped, content-addressed;
who may fetch which kind is one rule here for every door (R-U7)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from borderpass.adapters.images import sanitize_image
from borderpass.core import ids
from borderpass.core.errors import FieldError, NotFound
from borderpass.models import Document, User
from borderpass.models.enums import Role
from borderpass.services import audit
from borderpass.services.filings.requirements import DOCUMENT_KINDS
from borderpass.services.ports import Deps

SEALED = "sealed"  # the one key of a sealed reading: {"sealed": token}


async def upload(deps: Deps, owner: User, kind: str, data: bytes) -> Document:
    """Store one image of ``kind`` for ``owner``; bad files are refused, nothing stored."""
    if kind not in DOCUMENT_KINDS:
        raise FieldError("document_kind", "kind", kinds=", ".join(DOCUMENT_KINDS))
    from borderpass.services.privacy import privacy

    await privacy.require(owner, kind)  # R-D1: no identity document before consent
    image = sanitize_image(data, max_bytes=deps.max_upload_bytes)
    digest = hashlib.sha256(image.data).hexdigest()
    file_name = None
    if kind_group(kind) != "organisation":  # a person's file: under their subject key (R-D7)
        from borderpass.services.privacy import subject_keys

        file_name = deps.files.put_subject(image.data, await subject_keys.ensure(deps, owner.id))
    else:  # an organisation's record outlives the person who uploaded it
        deps.files.put(image.data)
    return await Document.create(
        owner=owner, kind=kind, sha256=digest, file_name=file_name, mime=image.mime,
        size=len(image.data), width=image.width, height=image.height,
    )


def stored_name(doc: Document) -> str:
    """The name of the document's file in the store (R-D7: subject-sealed files have their
    own; older files are stored under their digest)."""
    return doc.file_name or doc.sha256


async def read_file(deps: Deps, doc: Document) -> bytes:
    """The document's image; FileNotFoundError when gone, CryptoError when its subject key
    was destroyed (R-D7)."""
    if doc.file_name is None:
        return deps.files.get(doc.sha256)
    from borderpass.services.privacy import subject_keys

    owner_id: int = doc.owner_id  # type: ignore[attr-defined]
    subject = await subject_keys.cipher_of(deps, owner_id)
    if subject is None:
        raise FileNotFoundError(doc.file_name)
    return deps.files.get(doc.file_name, subject)


# Document kinds by what they show (R-U7): a person's identity, a person's private affairs,
# a vehicle, an organisation. A kind not listed counts as identity (the strictest).
IDENTITY_KINDS = frozenset({"id_card_front", "id_card_back", "driving_licence",
                            "exit_entry_permit"})
PERSONAL_KINDS = frozenset({"power_of_attorney", "relationship_proof", "repayment_proof",
                            "other"})
VEHICLE_KINDS = frozenset({"vehicle_licence", "vin_plate", "photo_front_45", "photo_rear_45",
                           "photo_side", "vehicle_registration_certificate",
                           "deregistration_certificate"})
ORGANISATION_KINDS = frozenset({"enterprise_power_of_attorney", "business_activity_proof",
                                "business_licence", "unit_seal", "official_letter",
                                "export_filing_form", "export_contract",
                                "market_access_statement"})
# Which staff role may fetch which group (the owner always fetches their own): the reviewer
# checks every material; customs the vehicle and the organisation (export licences,
# inspection); a gate supervisor only the vehicle, never an identity document.
STAFF_DOCUMENT_ACCESS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset({"identity", "personal", "vehicle", "organisation"}),
    Role.REVIEWER: frozenset({"identity", "personal", "vehicle", "organisation"}),
    Role.CUSTOMS: frozenset({"vehicle", "organisation"}),
    Role.GATE_SUPERVISOR: frozenset({"vehicle"}),
}


def kind_group(kind: str) -> str:
    """What a document of ``kind`` shows: identity, personal, vehicle or organisation."""
    for group, kinds in (("personal", PERSONAL_KINDS), ("vehicle", VEHICLE_KINDS),
                         ("organisation", ORGANISATION_KINDS)):
        if kind in kinds:
            return group
    return "identity"


def may_fetch(user: User, kind: str) -> bool:
    """True when a staff role of ``user`` may fetch a document of ``kind`` (R-U7)."""
    group = kind_group(kind)
    return any(group in STAFF_DOCUMENT_ACCESS.get(role, frozenset()) for role in user.roles)


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
    """A document its owner, or a staff role allowed its kind, may see; any other caller gets
    404, not 403, so a document's existence is not revealed. Staff reads are audited."""
    doc = await Document.get_or_none(id=document_id)
    if doc is None:
        raise NotFound("document_not_found", "id")
    if doc.owner_id != user.id:  # type: ignore[attr-defined]
        if not may_fetch(user, doc.kind):
            raise NotFound("document_not_found", "id")
        await audit.record(user, "read", "document", doc.id, ["image"], kind=doc.kind)
    return doc


async def document_bytes(deps: Deps, doc: Document) -> bytes:
    """The stored content of a document."""
    try:
        return await read_file(deps, doc)
    except FileNotFoundError as exc:
        raise NotFound("document_missing", "id") from exc


async def owned_document(user: User, document_id: object, field: str,
                         trusted: frozenset[int] = frozenset()) -> Document:
    """A document of ``user`` given by id in a request field; others are refused, except the
    ``trusted`` ones (an organisation profile's licence photo a colleague took, R-P1a)."""
    doc = await Document.get_or_none(id=ids.body_id(document_id, field, "document_not_found"))
    if doc is None or (doc.owner_id != user.id  # type: ignore[attr-defined]
                       and doc.id not in trusted):
        raise FieldError("document_not_found", field)
    return doc

