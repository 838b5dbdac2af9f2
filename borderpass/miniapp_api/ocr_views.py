"""OCR over HTTP: read one photo now (``POST /api/v1/ocr/{kind}``)."""

from __future__ import annotations

from aiohttp import web

from borderpass.core.errors import FieldError
from borderpass.miniapp_api.document_views import read_upload
from borderpass.miniapp_api.http import current_user, ok
from borderpass.services.filings.requirements import READABLE_KINDS
from borderpass.services.privacy import privacy
from borderpass.web.appkeys import DEPS, OCR_POOL

routes = web.RouteTableDef()


@routes.post("/api/v1/ocr/{kind}")
async def read_photo(request: web.Request) -> web.Response:
    """Read one document photo and return its fields, each with confidence and warnings."""
    user = await current_user(request)
    kind = request.match_info["kind"]
    if kind not in READABLE_KINDS:
        raise FieldError("ocr_kind", "kind")
    await privacy.require(user, kind)  # R-D1, R-D2: no reading of identity documents
    form = await read_upload(request, request.app[DEPS].max_upload_bytes, need_kind=False)
    return ok(await request.app[OCR_POOL].read(kind, form.data))
