"""The front door: ``/`` names the service and links to the API document and the console,
and ``/api/docs/`` shows the OpenAPI document in Swagger UI, served from the swagger-ui-py
package's files (no CDN at run time)."""

from __future__ import annotations

import importlib.util
from html import escape
from importlib import metadata
from pathlib import Path

from aiohttp import web

SERVICE = "BorderPass"
OPENAPI_URL = "/api/v1/openapi.json"
DOCS_PREFIX = "/api/docs"
CONSOLE_URL = "/console/"
# Swagger UI's own files may not run inline scripts; the console's style of policy.
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'")


def version() -> str:
    """The installed package's version (the source tree's when run from a clone)."""
    try:
        return metadata.version("borderpass")
    except metadata.PackageNotFoundError:
        return "unknown"


def swagger_ui_dir() -> Path | None:
    """The folder of Swagger UI's static files shipped by swagger-ui-py, if installed."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def _page(title: str, body: str, head: str = "") -> web.Response:
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title>{head}</head><body>{body}</body></html>")
    response = web.Response(text=html, content_type="text/html")
    response.headers["Content-Security-Policy"] = _CSP
    return response


async def home(request: web.Request) -> web.Response:
    """``/``: the service's name and version, and where to go next."""
    body = (f"<main><h1>{SERVICE}</h1><p>Cross-border vehicle filing, declarations and gate "
            f"passes for China's land ports. Version {escape(version())}.</p><ul>"
            f'<li><a href="{DOCS_PREFIX}/">API document</a> (Swagger UI; raw: '
            f'<a href="{OPENAPI_URL}">{OPENAPI_URL}</a>)</li>'
            f'<li><a href="{CONSOLE_URL}">Back-office console</a></li></ul></main>')
    return _page(SERVICE, body)


async def docs(request: web.Request) -> web.Response:
    """``/api/docs/``: Swagger UI over the live OpenAPI document."""
    if swagger_ui_dir() is None:
        return _page(f"{SERVICE} API", f'<p>Swagger UI is not installed (pip package '
                     f'swagger-ui-py); the document is at <a href="{OPENAPI_URL}">'
                     f"{OPENAPI_URL}</a>.</p>")
    head = (f'<link rel="stylesheet" href="{DOCS_PREFIX}/static/swagger-ui.css">'
            f'<script src="{DOCS_PREFIX}/static/swagger-ui-bundle.js" defer></script>'
            f'<script src="{DOCS_PREFIX}/init.js" defer></script>')
    return _page(f"{SERVICE} API", '<div id="swagger-ui"></div>', head)


async def docs_init(request: web.Request) -> web.Response:
    """Starts Swagger UI on the document (a file, since the page allows no inline script)."""
    script = ("window.addEventListener('load', function () { window.ui = SwaggerUIBundle("
              f"{{url: '{OPENAPI_URL}', dom_id: '#swagger-ui', deepLinking: true}}); }});\n")
    return web.Response(text=script, content_type="application/javascript")


async def _to_docs(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect(f"{DOCS_PREFIX}/")


def setup_front(app: web.Application) -> None:
    """Mount ``/``, ``/api/docs/`` and Swagger UI's static files."""
    app.router.add_get("/", home)
    app.router.add_get(DOCS_PREFIX, _to_docs)
    app.router.add_get(f"{DOCS_PREFIX}/", docs)
    app.router.add_get(f"{DOCS_PREFIX}/init.js", docs_init)
    folder = swagger_ui_dir()
    if folder is not None:
        app.router.add_static(f"{DOCS_PREFIX}/static/", folder)
