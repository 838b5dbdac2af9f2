"""The one error middleware: domain errors → ``{"error": {code, field, message}}``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from borderpass.adapters.outage import answer_outage, outage_of
from borderpass.core.errors import BorderPassError, FieldErrors
from borderpass.miniapp_api.http import locale_of, ok
from borderpass.services.error_text import error_line
from borderpass.web.appkeys import SETTINGS

log = logging.getLogger("borderpass.api")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def render(err: BorderPassError, locale: str) -> dict[str, Any]:
    """One error as JSON, its message in ``locale`` naming the field."""
    return {"code": err.code, "field": err.field, "message": error_line(err, locale)}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Translate errors to the JSON shape; log unexpected ones without personal data."""
    try:
        return await handler(request)
    except BorderPassError as err:
        return _error_response(request, err)
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        code = {404: "not_found", 405: "bad_request", 413: "too_large"}.get(exc.status,
                                                                            "bad_request")
        http_err = BorderPassError(code, max=request.app[SETTINGS].max_upload_bytes + 65536)
        return ok({"error": render(http_err, locale_of(request))}, status=exc.status)
    except Exception as exc:
        if service := outage_of(exc):  # Redis or the database away: 503, never a 500
            return _error_response(request, await answer_outage(service, exc))
        log.exception("unhandled error", extra={"path": request.path, "method": request.method})
        return ok({"error": render(BorderPassError("internal"), locale_of(request))}, status=500)


def _error_response(request: web.Request, err: BorderPassError) -> web.Response:
    """The JSON error answer, with ``Retry-After`` when the error says when to retry."""
    locale = locale_of(request)
    body: dict[str, Any] = {"error": render(err, locale)}
    if isinstance(err, FieldErrors):
        body["errors"] = [render(e, locale) for e in err.errors]
    response = ok(body, status=err.status)
    if retry := getattr(err, "retry_after", None):
        response.headers["Retry-After"] = str(retry)
    return response
