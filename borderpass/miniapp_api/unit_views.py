"""Units and the credit pass list: registration, the unit code, joining, verification, removal."""

from __future__ import annotations

from aiohttp import web

from borderpass.adapters.wechat import WeChatError
from borderpass.core.errors import Unavailable
from borderpass.core.i18n import normalize_locale
from borderpass.miniapp_api.http import current_user, locale_of, ok, path_id, read_json
from borderpass.miniapp_api.idempotency import idempotent
from borderpass.models.units import Membership
from borderpass.presenters import crossings as present_crossings
from borderpass.presenters import units as present_units
from borderpass.services.crossings import dishonesty
from borderpass.services.filings import commitments
from borderpass.services.units import (
    unit_codes,
    unit_export,
    unit_members,
    unit_notices,
    unit_removals,
    units,
)
from borderpass.web.appkeys import DEPS, MINIAPP_WECHAT, SETTINGS

routes = web.RouteTableDef()
UNIT = "/api/v1/units/{id:\\d+}"


def _members(request: web.Request, rows: list[Membership]) -> web.Response:
    deps = request.app[DEPS]  # masked for every caller (R-U7)
    return ok({"items": [present_units.unit_member(unit_members.view(deps, m)) for m in rows]})


# --- anyone who scanned a code, and the people who join ------------------------------------


@routes.get("/api/v1/units/by-scene/{scene}")
async def unit_by_scene(request: web.Request) -> web.Response:
    """The unit behind a registration code's scene, as the mini-program opens it (R-U2)."""
    unit = await units.unit_by_scene(request.match_info["scene"])
    return ok(present_units.unit_public(unit))


@routes.get("/api/v1/units/commitments/{kind}")
async def get_commitment(request: web.Request) -> web.Response:
    """The current personal or unit credit commitment text, with its version and hash."""
    locale = normalize_locale(request.query.get("locale")) or locale_of(request)
    return ok(commitments.current(request.match_info["kind"], locale).as_dict())


@routes.post("/api/v1/units/join")
@idempotent
async def join(request: web.Request) -> web.Response:
    """Submit oneself and one's filed vehicle to a unit, with one's own personal commitment
    (R-U3): each driver from their own account; a driver who is not the applicant states
    their identity number (``id_number``) the first time."""
    user = await current_user(request)
    body = await read_json(request, unit_members.JOIN_KEYS,
                           ("scene", "filing_id", "driver_id", "commitment"))  # R-U3
    member = await unit_members.join(request.app[DEPS], user, body)
    return ok(present_units.unit_member(unit_members.view(request.app[DEPS], member)), status=201)


@routes.get("/api/v1/units/memberships")
async def my_memberships(request: web.Request) -> web.Response:
    """The caller's own entries on units' lists."""
    return _members(request, await unit_members.memberships_of(await current_user(request)))


@routes.get("/api/v1/units/notices")
async def my_notices(request: web.Request) -> web.Response:
    """The caller's notices about units and lists, in the caller's language."""
    user = await current_user(request)
    return ok({"items": await unit_notices.notices_of(user, locale_of(request))})


# --- unit admins ---------------------------------------------------------------------------


@routes.post("/api/v1/units")
@idempotent
async def register(request: web.Request) -> web.Response:
    """Register a unit for back-office authentication; the caller becomes its admin (R-U2)."""
    user = await current_user(request)
    body = await read_json(request, units.REGISTER_KEYS)
    unit = await units.register(request.app[DEPS], user, body)
    return ok(present_units.unit(await units.view(request.app[DEPS], unit, user)), status=201)


@routes.get("/api/v1/units")
async def my_units(request: web.Request) -> web.Response:
    """The units the caller administers."""
    user = await current_user(request)
    deps = request.app[DEPS]
    return ok({"items": [present_units.unit(await units.view(deps, u, user))
                         for u in await units.units_of(user)]})


@routes.get(UNIT)
async def get_unit(request: web.Request) -> web.Response:
    """One unit (its admins, the back office)."""
    user = await current_user(request)
    unit = await units.managed_unit(user, path_id(request), platform=True)
    return ok(present_units.unit(await units.view(request.app[DEPS], unit, user)))


@routes.post(UNIT + "/admins")
async def add_admin(request: web.Request) -> web.Response:
    """Name another admin of the unit."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"user_id"}), ("user_id",))
    await units.add_admin(user, path_id(request), body["user_id"])
    return ok({"ok": True})


@routes.post(UNIT + "/registration-code")
async def regenerate_code(request: web.Request) -> web.Response:
    """Issue a new registration code; the old one is revoked at once (R-U2)."""
    user = await current_user(request)
    await read_json(request, frozenset())
    code = await unit_codes.regenerate_code(user, path_id(request))
    return ok({"scene": code.scene, "created_at": code.created_at.isoformat()})


@routes.get(UNIT + "/registration-code.png")
async def code_png(request: web.Request) -> web.Response:
    """The unit's registration code as a PNG: WeChat's mini-program code when configured."""
    user = await current_user(request)
    settings = request.app[SETTINGS]
    source = request.app[MINIAPP_WECHAT] if settings.miniapp_appid else None
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    try:
        png = await unit_codes.code_png(request.app[DEPS], user, path_id(request), source,
                                   settings.unit_join_page, base)
    except WeChatError as exc:
        raise Unavailable("wechat_unavailable") from exc
    return web.Response(body=png, content_type="image/png",
                        headers={"Cache-Control": "private, no-store"})


@routes.get(UNIT + "/members")
async def list_members(request: web.Request) -> web.Response:
    """The unit's entries, masked for every caller, the platform too (R-U7: numbers in clear
    only through the platform's audited list export); ``?status=pending`` for the queue."""
    user = await current_user(request)
    _, rows, _clear = await unit_members.members(user, path_id(request),
                                                 request.query.get("status"))
    return _members(request, rows)


@routes.get(UNIT + "/members/export")
async def export_members(request: web.Request) -> web.Response:
    """The unit's list as ``?format=csv`` or ``xlsx`` (masked, R-U7)."""
    user = await current_user(request)
    data, content_type, name = await unit_export.export(
        request.app[DEPS], user, path_id(request), request.query.get("format"),
        request.query.get("status"), locale_of(request))
    return web.Response(body=data, headers={
        "Content-Type": content_type, "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})


@routes.post(UNIT + "/members/verify")
async def verify_members(request: web.Request) -> web.Response:
    """Confirm that people belong to the unit, one or many at once (R-U4)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"member_ids"}), ("member_ids",))
    rows = await unit_members.decide(user, path_id(request), body["member_ids"], True)
    return _members(request, rows)


@routes.post(UNIT + "/members/reject")
async def reject_members(request: web.Request) -> web.Response:
    """Reject people who do not belong to the unit, with a reason (R-U4)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"member_ids", "reason"}),
                           ("member_ids", "reason"))
    rows = await unit_members.decide(user, path_id(request), body["member_ids"], False,
                                     body["reason"])
    return _members(request, rows)


@routes.post(UNIT + "/uploads")
async def upload_list(request: web.Request) -> web.Response:
    """Sign the unit commitment and upload every verified person to the platform (R-U4)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"commitment"}), ("commitment",))
    batch = await unit_members.upload(user, path_id(request), body["commitment"])
    return ok({"id": batch.id, "member_count": batch.member_count,
               "created_at": batch.created_at.isoformat()}, status=201)


@routes.post(UNIT + "/members/{member_id:\\d+}/remove")
async def remove_member(request: web.Request) -> web.Response:
    """Remove a person who left the unit or asked to leave (R-U6)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"reason", "note"}), ("reason",))
    member = await unit_removals.remove_by_unit(user, path_id(request),
                                                path_id(request, "member_id"), body["reason"],
                                                body.get("note"))
    return ok(present_units.unit_member(unit_members.view(request.app[DEPS], member)))


@routes.post(UNIT + "/deregister")
async def deregister(request: web.Request) -> web.Response:
    """Deregister the unit: every entry leaves the list, each once (R-U6)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"reason"}), ("reason",))
    unit, removed = await unit_removals.deregister(user, path_id(request), body["reason"])
    return ok({"unit": present_units.unit(await units.view(request.app[DEPS], unit, user)),
               "removed": removed})


# --- the back office -------------------------------------------------------------------------


@routes.get("/api/v1/admin/units")
async def admin_units(request: web.Request) -> web.Response:
    """Units by status (``?status=pending`` by default) for authentication."""
    user = await current_user(request)
    rows = await units.units_by_status(user, request.query.get("status"))
    return ok({"items": [present_units.unit(await units.view(request.app[DEPS], u, user))
                         for u in rows]})


@routes.post("/api/v1/admin/units/{id:\\d+}/authenticate")
async def authenticate(request: web.Request) -> web.Response:
    """Authenticate a pending unit (its code is issued) or refuse it with a reason (R-U2)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"approve", "reason"}), ("approve",))
    unit = await units.authenticate(user, path_id(request), body["approve"], body.get("reason"))
    return ok(present_units.unit(await units.view(request.app[DEPS], unit, user)))


@routes.post("/api/v1/admin/credit-list/remove")
async def remove_dishonest(request: web.Request) -> web.Response:
    """Remove a person or vehicle on the serious dishonesty list from every unit and write a
    dishonesty record that bars joining and verification until it ends (R-U6)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"id_number", "plate_number", "vin", "note",
                                               "until"}), ("note",))
    record, removed = await unit_removals.remove_dishonest(request.app[DEPS], user, body)
    return ok({"removed": removed, "record": present_crossings.dishonesty_record(record)})


@routes.get("/api/v1/admin/dishonesty")
async def dishonesty_records(request: web.Request) -> web.Response:
    """Dishonesty records in force (``?all=1``: every record), newest first (R-U6)."""
    user = await current_user(request)
    rows = await dishonesty.records(user, active_only=request.query.get("all") not in {"1",
                                                                                      "true"})
    return ok({"items": [present_crossings.dishonesty_record(r) for r in rows]})


@routes.post("/api/v1/admin/dishonesty/{id:\\d+}/lift")
async def lift_dishonesty(request: web.Request) -> web.Response:
    """End a dishonesty record before its term, with a reason (audited, R-U6)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"reason"}), ("reason",))
    record = await dishonesty.lift(user, path_id(request), body["reason"])
    return ok(present_crossings.dishonesty_record(record))
