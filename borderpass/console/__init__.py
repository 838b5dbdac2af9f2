"""The back-office web console under ``/console/``: server-rendered pages for reviewers,
customs, gate supervisors and admins, on the same services as the API."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from borderpass.console.base import PREFIX, console_middleware
from borderpass.web.appkeys import SETTINGS

STATIC_DIR = Path(__file__).resolve().parent / "static"


def setup_console(app: web.Application) -> None:
    """Mount the console as a sub-application with its own session and error handling."""
    from borderpass.console import (
        admin_pages,
        auth_pages,
        credit_pages,
        customs_pages,
        exchange_pages,
        export_pages,
        gate_pages,
        join_page,
        profile_pages,
        review_pages,
    )

    console = web.Application(middlewares=[console_middleware])
    for module in (auth_pages, credit_pages, review_pages, customs_pages, export_pages, gate_pages,
                   admin_pages, exchange_pages, join_page, profile_pages):
        console.router.add_routes(module.routes)
    console.router.add_static("/static/", STATIC_DIR, name="static")
    # Before the sub-application: its prefix would otherwise take /console and answer 404.
    app.router.add_get(PREFIX, _to_console)
    # The fallback (non-WeChat) registration QR's own path must not answer 404 (R-U2).
    join_path = app[SETTINGS].unit_join_page.strip("/")
    if join_path and not join_path.startswith(("api/", "console", "wechat/")):
        app.router.add_routes([join_page.forward(join_path)])
    app.add_subapp(PREFIX, console)


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect(f"{PREFIX}/")
