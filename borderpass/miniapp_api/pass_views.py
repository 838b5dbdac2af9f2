"""Passes for drivers, and the gate's back office: manual lifts, emergencies, faults, ledger."""

from __future__ import annotations

import io
from datetime import datetime

import qrcode
from aiohttp import web

from borderpass.core.errors import FieldError
from borderpass.miniapp_api.http import current_user, ok, path_id, read_json
from borderpass.models.enums import Role
from borderpass.presenters import crossings as present
from borderpass.presenters import gate as present_gate
from borderpass.services.crossings import passes
from borderpass.services.gate import gate_lifts, ledger
from borderpass.services.identity.access import require_role
from borderpass.web.appkeys import GATE

routes = web.RouteTableDef()
LEDGER_ROLES = (Role.CUSTOMS, Role.GATE_SUPERVISOR, Role.ADMIN)


def qr_png(text: str) -> bytes:
    """The QR symbol of ``text`` as PNG (alphanumeric mode, error correction M)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8,
                         border=4)
    code.add_data(text)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image().save(buf)
    return buf.getvalue()


@routes.get("/api/v1/declarations/{id}/pass")
async def get_pass(request: web.Request) -> web.Response:
    """The pass of an approved declaration; the TOTP secret only on first delivery."""
    user = await current_user(request)
    issued = await passes.issue(request.app[GATE], user, path_id(request))
    return ok(present.pass_(issued, user.locale))


@routes.post("/api/v1/declarations/{id}/pass/secret")
async def rotate_pass_secret(request: web.Request) -> web.Response:
    """A new TOTP secret for a new phone (the old one stops working)."""
    user = await current_user(request)
    await read_json(request, frozenset())
    issued = await passes.rotate_secret(request.app[GATE], user, path_id(request))
    return ok(present.pass_(issued, user.locale))


@routes.get("/api/v1/declarations/{id}/pass.png")
async def get_pass_png(request: web.Request) -> web.Response:
    """The QR of this moment as an image, for chat users (stale after one step)."""
    user = await current_user(request)
    text = await passes.current_qr(request.app[GATE], user, path_id(request))
    return web.Response(body=qr_png(text), content_type="image/png",
                        headers={"Cache-Control": "no-store"})


@routes.get("/api/v1/gate/manual-lifts")
async def list_lifts(request: web.Request) -> web.Response:
    """Manual lifts (customs, gate supervisors), optionally by status."""
    user = await current_user(request)
    lifts = await gate_lifts.list_lifts(user, request.query.get("status"))
    return ok({"items": [present_gate.manual_lift(x, x.lane.code) for x in lifts]})


@routes.post("/api/v1/gate/manual-lifts")
async def request_lift(request: web.Request) -> web.Response:
    """A guard asks for a manual lift (R-G4)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"lane", "reason", "plate"}), ("lane", "reason"))
    lift = await gate_lifts.request_by_guard(request.app[GATE], user, body)
    return ok(present_gate.manual_lift(lift, str(body["lane"])), status=201)


async def _decide(request: web.Request, approve: bool) -> web.Response:
    user = await current_user(request)
    body = await read_json(request, frozenset({"note"}))
    lift = await gate_lifts.decide_lift(request.app[GATE], user, path_id(request), approve,
                                        body.get("note"))
    return ok(present_gate.manual_lift(lift, lift.lane.code))


@routes.post("/api/v1/gate/manual-lifts/{id}/approve")
async def approve_lift(request: web.Request) -> web.Response:
    """Customs approves a manual lift; the lane is told to open (R-G4)."""
    return await _decide(request, True)


@routes.post("/api/v1/gate/manual-lifts/{id}/refuse")
async def refuse_lift(request: web.Request) -> web.Response:
    """Customs refuses a manual lift, with a note."""
    return await _decide(request, False)


@routes.post("/api/v1/gate/emergency")
async def emergency(request: web.Request) -> web.Response:
    """A gate supervisor releases an emergency vehicle at once (R-G5)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"lane", "plate", "kind", "note"}),
                           ("lane", "plate", "kind"))
    released = await gate_lifts.emergency(request.app[GATE], user, body)
    return ok(present_gate.command(released.command, released.languages), status=201)


@routes.post("/api/v1/gate/faults/{id}/resolve")
async def resolve_fault(request: web.Request) -> web.Response:
    """Close a fault ticket with its cause and fix (R-G7)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"cause", "fix"}), ("cause", "fix"))
    ticket = await gate_lifts.resolve_fault(request.app[GATE], user, path_id(request), body)
    return ok({"id": ticket.id, "lane": ticket.lane.code, "symptom": ticket.symptom,
               "cause": ticket.cause, "fix": ticket.fix,
               "reported_at": ticket.reported_at.isoformat(),
               "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None})


@routes.post("/api/v1/gate/handovers")
async def handover(request: web.Request) -> web.Response:
    """Record a shift handover in the ledger (R-G6)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"lane", "to", "note"}), ("to",))
    await gate_lifts.handover(request.app[GATE], user, body)
    return ok({"recorded": True}, status=201)


def _when(request: web.Request, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(request.query.get(name, ""))
    except ValueError as exc:
        raise FieldError("type_datetime", name) from exc
    if value.tzinfo is None:
        raise FieldError("datetime_tz", name)
    return value


@routes.get("/api/v1/gate/ledger")
async def get_ledger(request: web.Request) -> web.Response:
    """Ledger entries between ``from`` and ``to`` (at most 1,000), optionally one lane's."""
    user = await current_user(request)
    require_role(user, *LEDGER_ROLES)
    start, end = _when(request, "from"), _when(request, "to")
    items: list[dict[str, object]] = []
    async for page in ledger.rows(start, end, request.query.get("lane") or None, chunk=1000):
        items.extend(present_gate.ledger_entry(e) for e in page)
        break
    return ok({"items": items})
