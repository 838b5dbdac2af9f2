"""``Cache-Control: no-store`` on every answer of the API and the console (R-U7).

Answers there may hold personal data (a masked filing, a revealed number, a document image),
so no browser, proxy or WeChat cache keeps a copy; only the console's static assets (CSS, JS)
may be cached.
"""

from __future__ import annotations

from aiohttp import web

_PRIVATE_PREFIXES = ("/api/", "/console")
_CACHEABLE_PREFIXES = ("/console/static/",)


def private(path: str) -> bool:
    """True when an answer on ``path`` may hold personal data."""
    return path.startswith(_PRIVATE_PREFIXES) and not path.startswith(_CACHEABLE_PREFIXES)


async def no_store(request: web.Request, response: web.StreamResponse) -> None:
    """Mark an answer that may hold personal data as never to be stored by any cache."""
    if private(request.path):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"  # HTTP/1.0 proxies
