"""Declarations, trips and the blacklist (R-F7, R-F8, R-F9)."""

from __future__ import annotations

from aiohttp import web

from borderpass.miniapp_api.http import current_user, locale_of, ok, path_id, read_json
from borderpass.miniapp_api.idempotency import idempotent
from borderpass.presenters import crossings as present
from borderpass.services.crossings import blacklist, declarations, land_ports
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()
DECLARATION_KEYS = frozenset({"filing_id", "driver_id", "direction", "port", "planned_at"})


@routes.post("/api/v1/declarations")
@idempotent
async def create_declaration(request: web.Request) -> web.Response:
    """Declare one exit or entry."""
    user = await current_user(request)
    body = await read_json(request, DECLARATION_KEYS,
                           ("filing_id", "driver_id", "direction", "port"))
    declaration = await declarations.create(request.app[DEPS], user, body)
    return ok(present.declaration(declaration, user.locale), status=201)


@routes.get("/api/v1/declarations")
async def list_declarations(request: web.Request) -> web.Response:
    """The caller's declarations."""
    user = await current_user(request)
    await land_ports.CACHE.get()  # the ports' names, read at most once per CACHE_TTL
    return ok({"items": [present.declaration(d, user.locale)
                         for d in await declarations.list_own(user)]})


@routes.get("/api/v1/declarations/{id}")
async def get_declaration(request: web.Request) -> web.Response:
    """One declaration."""
    user = await current_user(request)
    await land_ports.CACHE.get()
    return ok(present.declaration(await declarations.visible(user, path_id(request)),
                                    user.locale))


@routes.post("/api/v1/declarations/{id}/cancel")
async def cancel_declaration(request: web.Request) -> web.Response:
    """Cancel an unused declaration."""
    user = await current_user(request)
    await read_json(request, frozenset())
    cancelled = await declarations.cancel(request.app[DEPS], user, path_id(request))
    await land_ports.CACHE.get()
    return ok(present.declaration(cancelled, user.locale))


@routes.get("/api/v1/ports")
async def list_ports(request: web.Request) -> web.Response:
    """The ports open for declarations, named in zh_CN, my and en (public)."""
    locale = locale_of(request)
    return ok({"items": [present.port(p, locale) for p in await land_ports.active_ports()]})


@routes.get("/api/v1/trips")
async def list_trips(request: web.Request) -> web.Response:
    """The caller's trips, with deadline and days left."""
    user = await current_user(request)
    return ok({"items": await declarations.trips_of(user)})


@routes.get("/api/v1/admin/blacklist")
async def list_blacklist(request: web.Request) -> web.Response:
    """Blacklist entries (staff)."""
    user = await current_user(request)
    active = request.query.get("all") not in {"1", "true"}
    return ok({"items": [present.blacklist_entry(e)
                         for e in await blacklist.list_entries(user, active)]})


@routes.post("/api/v1/admin/blacklist/{id}/lift")
async def lift_blacklist(request: web.Request) -> web.Response:
    """Lift an entry with a reason (admin, customs)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"reason"}), ("reason",))
    entry = await blacklist.lift(user, path_id(request), body["reason"])
    return ok(present.blacklist_entry(entry))


@routes.post("/api/v1/admin/blacklist/{id}/smuggling")
async def refer_smuggling(request: web.Request) -> web.Response:
    """Mark an entry as suspected smuggling and refer it, with the reason (customs)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"reason"}), ("reason",))
    entry = await blacklist.refer_smuggling(user, path_id(request), body["reason"])
    return ok(present.blacklist_entry(entry))
