"""The exchange door (docs/exchange.md): admins register agencies and watch their delivery;
agencies post their events and pull ours, each request signed with the agency's key."""

from __future__ import annotations

from aiohttp import web

from borderpass.core.errors import FieldError, TooLarge
from borderpass.miniapp_api.http import current_user, ok, path_id, read_json
from borderpass.presenters import exchange as present
from borderpass.services.exchange import inbound, pull, reviews, subscribers
from borderpass.web.appkeys import DEPS, SETTINGS

routes = web.RouteTableDef()
_REGISTER = frozenset({"code", "name", "kind", "url", "event_types", "batch_size"})


def _policy(request: web.Request) -> subscribers.Policy:
    return subscribers.Policy(request.app[SETTINGS].exchange_loopback_http)


@routes.post("/api/v1/admin/agencies")
async def register(request: web.Request) -> web.Response:
    """Register an agency as a subscriber; its secret is in this answer only."""
    user = await current_user(request)
    body = await read_json(request, _REGISTER)
    agency, secret = await subscribers.register(user, body, request.app[DEPS].cipher,
                                                _policy(request))
    return ok({**present.agency(await subscribers.state(agency)), "secret": secret},
              status=201)


@routes.get("/api/v1/admin/agencies")
async def agencies(request: web.Request) -> web.Response:
    """Agencies with their delivery state: last delivered id, lag, failures."""
    user = await current_user(request)
    return ok({"items": [present.agency(a) for a in await subscribers.list_all(user)]})


@routes.post("/api/v1/admin/agencies/{id}/replay")
async def replay(request: web.Request) -> web.Response:
    """Deliver again every entitled event after ``after`` (an event id)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"after"}), ("after",))
    agency = await subscribers.replay(user, path_id(request), body["after"])
    return ok(present.agency(await subscribers.state(agency)))


@routes.post("/api/v1/admin/agencies/{id}/active")
async def set_active(request: web.Request) -> web.Response:
    """Stop (``{"active": false}``) or resume an agency's deliveries and requests."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"active"}), ("active",))
    if not isinstance(body["active"], bool):
        raise FieldError("type_bool", "active")
    agency = await subscribers.set_active(user, path_id(request), body["active"])
    return ok(present.agency(await subscribers.state(agency)))


@routes.get("/api/v1/admin/agencies/{id}/dead-letters")
async def dead_letters(request: web.Request) -> web.Response:
    """Events an agency did not take within 24 hours (replay them by cursor)."""
    user = await current_user(request)
    rows = await subscribers.dead_letters(user, path_id(request))
    return ok({"items": [present.dead_letter(d) for d in rows]})


@routes.get("/api/v1/admin/agency-events/pending")
async def pending(request: web.Request) -> web.Response:
    """Agencies' blacklist entries waiting for a customs officer's review."""
    user = await current_user(request)
    return ok({"items": await reviews.pending(user)})


@routes.post("/api/v1/admin/agency-events/{id}/decision")
async def decide(request: web.Request) -> web.Response:
    """Confirm (list the owner) or reject an agency's blacklist entry, with a note."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"confirm", "note"}), ("confirm", "note"))
    if not isinstance(body["confirm"], bool):
        raise FieldError("type_bool", "confirm")
    row = await reviews.decide(user, path_id(request), body["confirm"], body.get("note"))
    return ok(present.inbound_event(row))


async def _raw(request: web.Request) -> bytes:
    if request.content_length and request.content_length > inbound.MAX_BODY:
        raise TooLarge("too_large", "body", max=inbound.MAX_BODY)
    raw = await request.read()
    if len(raw) > inbound.MAX_BODY:
        raise TooLarge("too_large", "body", max=inbound.MAX_BODY)
    return raw


@routes.post("/api/v1/agency/events")
async def post_event(request: web.Request) -> web.Response:
    """An agency's event (CloudEvents JSON, Standard Webhooks signature, agency-id header)."""
    row = await inbound.receive(request.headers, await _raw(request), request.app[DEPS].cipher)
    return ok(present.inbound_event(row), status=201)


@routes.get("/api/v1/agency/events")
async def get_events(request: web.Request) -> web.Response:
    """Our events after ``after`` for the signing agency (its entitled types, in order)."""
    signed = f"GET {request.path_qs}".encode()
    agency, _ = await inbound.authenticate(request.headers, signed, request.app[DEPS].cipher)
    return ok(await pull.page(agency, request.query.get("after"), request.query.get("limit"),
                              request.app[SETTINGS].exchange_source))
