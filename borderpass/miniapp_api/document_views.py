"""Document upload (multipart) and retrieval."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from borderpass.core import ids
from borderpass.core.errors import FieldError, TooLarge
from borderpass.miniapp_api.http import current_user, ok, path_id
from borderpass.miniapp_api.idempotency import idempotent
from borderpass.models import Document
from borderpass.services.filings import document_intake, documents, filing_reveal
from borderpass.services.ports import Deps
from borderpass.web.appkeys import DEPS, OCR_POOL

routes = web.RouteTableDef()
UPLOAD_FIELDS = frozenset({"kind", "filing_id", "slot"})


def describe(deps: Deps, doc: Document) -> dict[str, object]:
    """A document's metadata; its OCR reading (stored sealed) with personal values masked
    for everyone, the owner too (R-U7: numbers come clear only through an audited reveal)."""
    return {"id": doc.id, "kind": doc.kind, "mime": doc.mime, "size": doc.size,
            "width": doc.width, "height": doc.height, "sha256": doc.sha256,
            "ocr": filing_reveal.masked_reading(documents.reading_of(deps, doc)),
            "created_at": doc.created_at.isoformat()}


@dataclass
class Upload:
    """The parts of a multipart document upload."""

    kind: str
    data: bytes
    fields: dict[str, str]


async def read_upload(request: web.Request, limit: int, need_kind: bool = True) -> Upload:
    """The ``file`` part and the small text fields of a multipart upload, size-bounded."""
    if not request.content_type.startswith("multipart/"):
        raise FieldError("file_required", "file")
    try:
        fields, data = await _parts(request, limit)
    except (HttpProcessingError, ValueError) as exc:  # a garbled body: no file to read
        raise FieldError("file_required", "file") from exc
    if need_kind and not fields.get("kind"):
        raise FieldError("required", "kind")
    if data is None:
        raise FieldError("file_required", "file")
    return Upload(fields.get("kind", ""), data, fields)


async def _parts(request: web.Request, limit: int) -> tuple[dict[str, str], bytes | None]:
    reader = await request.multipart()
    fields: dict[str, str] = {}
    data = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name in UPLOAD_FIELDS:
            fields[part.name] = (await part.read(decode=True))[:64].decode(
                errors="replace").strip()
        elif part.name == "file":
            chunks, size = [], 0
            while chunk := await part.read_chunk(65536):
                size += len(chunk)
                if size > limit:
                    raise TooLarge("image_too_large", "file", max_mb=limit // (1024 * 1024))
                chunks.append(chunk)
            data = b"".join(chunks)
        else:
            raise FieldError("unknown_field", part.name or "")
    return fields, data


def _target(form: Upload) -> document_intake.Target | None:
    """The draft filing and slot an upload is for, when given."""
    filing_id = form.fields.get("filing_id")
    if filing_id is None:
        return None
    if not (filing_id.isascii() and filing_id.isdigit()):
        raise FieldError("type_int", "filing_id")
    if (target_id := ids.id_from_text(filing_id)) is None:
        raise FieldError("filing_not_found", "filing_id")
    return document_intake.Target(target_id,
                                  document_intake.slot_for(form.kind, form.fields.get("slot")))


@routes.post("/api/v1/documents")
@idempotent
async def upload(request: web.Request) -> web.Response:
    """Upload one document image (JPEG, PNG or WebP, ≤ 10 MB). OCR-able kinds are read;
    with ``filing_id`` (and ``slot``) the document is attached to that draft and its
    reading prefills the empty fields (R-P1)."""
    user = await current_user(request)
    deps = request.app[DEPS]
    form = await read_upload(request, deps.max_upload_bytes)
    taken = await document_intake.take(deps, request.app[OCR_POOL].read, user, form.kind,
                                       form.data, _target(form))
    extra: dict[str, Any] = {}
    if taken.ocr_error:
        extra["ocr_error"] = taken.ocr_error
    if taken.prefill is not None:
        extra["prefill"] = taken.prefill
    return ok(describe(deps, taken.document) | extra, status=201)


@routes.get("/api/v1/documents/{id}")
async def get_document(request: web.Request) -> web.Response:
    """A document's metadata (owner or staff)."""
    user = await current_user(request)
    doc = await documents.visible_document(user, path_id(request))
    return ok(describe(request.app[DEPS], doc))


@routes.get("/api/v1/documents/{id}/file")
async def get_document_file(request: web.Request) -> web.Response:
    """The stored image itself."""
    user = await current_user(request)
    doc = await documents.visible_document(user, path_id(request))
    data = await documents.document_bytes(request.app[DEPS], doc)
    return web.Response(body=data, content_type=doc.mime,
                        headers={"X-Content-Type-Options": "nosniff"})
