"""Document upload (multipart) and retrieval."""

from __future__ import annotations

from aiohttp import BodyPartReader, web

from borderpass.core.appkeys import DEPS
from borderpass.core.errors import FieldError, TooLarge
from borderpass.miniapp_api.http import current_user, ok, path_id
from borderpass.miniapp_api.idempotency import idempotent
from borderpass.models import Document
from borderpass.services import documents

routes = web.RouteTableDef()


def describe(doc: Document) -> dict[str, object]:
    """A document's metadata."""
    return {"id": doc.id, "kind": doc.kind, "mime": doc.mime, "size": doc.size,
            "width": doc.width, "height": doc.height, "sha256": doc.sha256,
            "ocr": doc.ocr, "created_at": doc.created_at.isoformat()}


async def read_upload(request: web.Request, limit: int) -> tuple[str, bytes]:
    """The ``kind`` field and ``file`` part of a multipart upload, size-bounded."""
    if not request.content_type.startswith("multipart/"):
        raise FieldError("file_required", "file")
    reader = await request.multipart()
    kind, data = None, None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "kind":
            kind = (await part.read(decode=True))[:64].decode(errors="replace").strip()
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
    if not kind:
        raise FieldError("required", "kind")
    if data is None:
        raise FieldError("file_required", "file")
    return kind, data


@routes.post("/api/v1/documents")
@idempotent
async def upload(request: web.Request) -> web.Response:
    """Upload one document image (JPEG, PNG or WebP, ≤ 10 MB)."""
    user = await current_user(request)
    deps = request.app[DEPS]
    kind, data = await read_upload(request, deps.max_upload_bytes)
    doc = await documents.upload(deps, user, kind, data)
    return ok(describe(doc), status=201)


@routes.get("/api/v1/documents/{id}")
async def get_document(request: web.Request) -> web.Response:
    """A document's metadata (owner or staff)."""
    user = await current_user(request)
    return ok(describe(await documents.visible_document(user, path_id(request))))


@routes.get("/api/v1/documents/{id}/file")
async def get_document_file(request: web.Request) -> web.Response:
    """The stored image itself."""
    user = await current_user(request)
    doc = await documents.visible_document(user, path_id(request))
    data = await documents.document_bytes(request.app[DEPS], doc)
    return web.Response(body=data, content_type=doc.mime,
                        headers={"Cache-Control": "private, max-age=3600"})
