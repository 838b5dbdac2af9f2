"""Credit (R-P2): the caller's own credit, and a filing owner's credit for staff. The rules
live in ``services.credit``."""

from __future__ import annotations

from aiohttp import web

from borderpass.miniapp_api.http import current_user, ok, path_id
from borderpass.presenters import credit as present
from borderpass.services.credit import view

routes = web.RouteTableDef()


@routes.get("/api/v1/me/credit")
async def my_credit(request: web.Request) -> web.Response:
    """The caller's credit: each party they file for, its class, rule, reasons and events."""
    found = await view.own(await current_user(request))
    return ok({"items": [present.own_credit(x) for x in found]})


@routes.get("/api/v1/review/filings/{id:\\d+}/credit")
async def filing_credit(request: web.Request) -> web.Response:
    """Staff: the credit of a filing's owner (reviewers, customs, admins)."""
    return ok(present.staff_credit(
        await view.of_filing(await current_user(request), path_id(request))))
