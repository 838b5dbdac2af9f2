"""Used-car export under ``/api/v1/export``: enterprise, review desks, customs (R-E1..R-E8)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from borderpass.miniapp_api.http import current_user, ok, path_id, read_json
from borderpass.miniapp_api.idempotency import idempotent
from borderpass.models.enums import Role
from borderpass.models.export import (
    Cancellation,
    EnterpriseFiling,
    EnterpriseMember,
    Licence,
    LicenceVehicle,
    VehicleExit,
)
from borderpass.presenters import export as present
from borderpass.services import clock
from borderpass.services.export import (
    enterprises,
    licences,
    members,
    obligations,
    summary,
    vin_cleared_for_exit,
)
from borderpass.services.identity.access import require_role
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()
FILING_KEYS = frozenset({"profile_id", "filing_kind", "uscc", "enterprise_name", "address",
                         "legal_representative", "contact_name", "contact_phone", "documents"})
CANCEL_KEYS = frozenset({"vin", "qr_text", "cancelled_on", "document_id"})


def _filing(request: web.Request, filing: EnterpriseFiling) -> dict[str, Any]:
    return present.enterprise_filing(enterprises.view(filing, clock.now(), request.app[DEPS]))


async def _licence(request: web.Request, licence_id: int) -> web.Response:
    user = await current_user(request)
    licence = await licences.visible(user, licence_id)
    return ok(present.licence(licences.view(licence, request.app[DEPS])))


def _cancellation(c: Cancellation) -> dict[str, Any]:
    return {"id": c.id, "vin": c.vin, "cancelled_on": c.cancelled_on.isoformat(),
            "late": c.late, "created_at": c.created_at.isoformat()}


def _exit(e: VehicleExit) -> dict[str, Any]:
    return {"id": e.id, "vin": e.vin, "exited_at": e.exited_at.isoformat(), "source": e.source,
            "port": e.port}


# --- the enterprise (an ordinary WeChat user who files for it) -----------------------------


@routes.post("/api/v1/export/filings")
@idempotent
async def submit_filing(request: web.Request) -> web.Response:
    """File an enterprise for used-car export, new or change (R-E1)."""
    user = await current_user(request)
    body = await read_json(request, FILING_KEYS)
    filing = await enterprises.submit(request.app[DEPS], user, body)
    filing = await enterprises.visible(user, filing.id)
    return ok(_filing(request, filing), status=201)


@routes.get("/api/v1/export/filings")
async def list_filings(request: web.Request) -> web.Response:
    """The filings of the caller's enterprises."""
    user = await current_user(request)
    return ok({"items": [_filing(request, f) for f in await enterprises.list_own(user)]})


@routes.get("/api/v1/export/filings/{id}")
async def get_filing(request: web.Request) -> web.Response:
    """One enterprise filing with its review clock."""
    user = await current_user(request)
    return ok(_filing(request, await enterprises.visible(user, path_id(request))))


@routes.get("/api/v1/export/enterprises")
async def list_enterprises(request: web.Request) -> web.Response:
    """The caller's enterprises: filing in force, lock and pending cancellations (R-E7)."""
    user = await current_user(request)
    return ok({"items": [present.enterprise(await summary.summarise(e))
                         for e in await summary.own(user)]})


@routes.get("/api/v1/export/enterprises/{id}")
async def get_enterprise(request: web.Request) -> web.Response:
    """One of the caller's enterprises."""
    user = await current_user(request)
    return ok(present.enterprise(
        await summary.summarise(await summary.visible(user, path_id(request)))))


_MEMBERS = "/api/v1/export/enterprises/{id:\\d+}/members"


async def _member(request: web.Request, member: EnterpriseMember) -> dict[str, Any]:
    await member.fetch_related("user")
    return present.member(members.colleague(request.app[DEPS], member))


@routes.get(_MEMBERS)
async def list_members(request: web.Request) -> web.Response:
    """The enterprise's members and its contact person, for its members (R-E2)."""
    user = await current_user(request)
    rows = await members.members(user, path_id(request))
    return ok({"items": [present.member(members.colleague(request.app[DEPS], m)) for m in rows]})


@routes.post(_MEMBERS)
async def add_member(request: web.Request) -> web.Response:
    """A member adds a colleague by user id or registered phone (R-E2; audited)."""
    user = await current_user(request)
    body = await read_json(request, members.ADD_KEYS)
    member = await members.add(request.app[DEPS], user, path_id(request), body)
    return ok(await _member(request, member), status=201)


@routes.post(_MEMBERS + "/{member_id:\\d+}/remove")
async def remove_member(request: web.Request) -> web.Response:
    """A member removes a member, themselves too, never the last one (R-E2; audited)."""
    user = await current_user(request)
    await read_json(request, frozenset())
    member = await members.remove(user, path_id(request), path_id(request, "member_id"))
    return ok({"id": member.id, "removed": True})


@routes.post(_MEMBERS + "/{member_id:\\d+}/contact")
async def set_contact(request: web.Request) -> web.Response:
    """Make a member the enterprise's contact person (R-E2; audited)."""
    user = await current_user(request)
    await read_json(request, frozenset())
    member = await members.set_contact(user, path_id(request), path_id(request, "member_id"))
    return ok(await _member(request, member))


@routes.post("/api/v1/export/enterprises/{id:\\d+}/invitations")
async def invite(request: web.Request) -> web.Response:
    """A one-use invitation code, valid 7 days, shown once, for a colleague to join (R-E2)."""
    user = await current_user(request)
    await read_json(request, frozenset())
    invitation, code = await members.invite(user, path_id(request))
    return ok({"code": code, "enterprise_id": invitation.enterprise_id,  # type: ignore[attr-defined]
               "expires_at": invitation.expires_at.isoformat()}, status=201)


@routes.post("/api/v1/export/invitations/accept")
async def accept_invitation(request: web.Request) -> web.Response:
    """Join the enterprise of an invitation code (R-E2; audited)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"code"}), ("code",))
    member = await members.accept(user, body["code"])
    return ok(await _member(request, member), status=201)


@routes.post("/api/v1/export/licences")
@idempotent
async def apply_licence(request: web.Request) -> web.Response:
    """Apply for an export licence of at most 20 vehicles (R-E2, R-E3, R-E4, R-E8)."""
    user = await current_user(request)
    body = await read_json(request, licences.LICENCE_KEYS,
                           ("enterprise_id", "commodity_code", "destination", "vehicles"))
    licence = await licences.apply(request.app[DEPS], user, body)
    response = await _licence(request, licence.id)
    response.set_status(201)
    return response


@routes.get("/api/v1/export/licences")
async def list_licences(request: web.Request) -> web.Response:
    """The licences of the caller's enterprises."""
    user = await current_user(request)
    deps = request.app[DEPS]
    return ok({"items": [present.licence(licences.view(lic, deps))
                         for lic in await licences.list_own(user)]})


@routes.get("/api/v1/export/licences/{id}")
async def get_licence(request: web.Request) -> web.Response:
    """One licence with its vehicles."""
    return await _licence(request, path_id(request))


@routes.post("/api/v1/export/licences/{id}/return")
async def return_licence(request: web.Request) -> web.Response:
    """Withdraw an unused licence, or return a short-cleared one (R-E3, R-E7)."""
    user = await current_user(request)
    await read_json(request, frozenset())
    licence = await licences.give_back(user, path_id(request))
    return await _licence(request, licence.id)


@routes.post("/api/v1/export/cancellations")
@idempotent
async def record_cancellation(request: web.Request) -> web.Response:
    """Record a vehicle's registration cancellation after it left (R-E7)."""
    user = await current_user(request)
    body = await read_json(request, CANCEL_KEYS, ("vin", "qr_text", "cancelled_on"))
    cancellation = await obligations.record_cancellation(request.app[DEPS], user, body)
    vehicle = await LicenceVehicle.get(
        id=cancellation.vehicle_id).prefetch_related("licence")  # type: ignore[attr-defined]
    # A short licence still to be returned is named with the answer, so the left-off VINs
    # are not forgotten until its deadline locks them (R-E3).
    reminder = await obligations.licences_to_return(
        vehicle.licence.enterprise_id, vehicle.licence.id)  # type: ignore[attr-defined]
    return ok(_cancellation(cancellation) | {"licence_to_return": reminder[0] if reminder
                                             else None}, status=201)


# --- the review desks: filings (reviewer, admin) and licences (customs, admin) -------------


@routes.get("/api/v1/export/review/filings")
async def filing_queue(request: web.Request) -> web.Response:
    """Enterprise filings awaiting review, against the 15-working-day target (R-E1)."""
    user = await current_user(request)
    rows = await enterprises.queue(request.app[DEPS], user)
    return ok({"items": [present.enterprise_filing(f) for f in rows]})


@routes.post("/api/v1/export/review/filings/{id}/approve")
async def approve_filing(request: web.Request) -> web.Response:
    """Approve a filing: a year from now, or a change keeping the expiry (R-E1)."""
    user = await current_user(request)
    await read_json(request, frozenset())
    filing = await enterprises.approve(user, path_id(request))
    return ok(_filing(request, await enterprises.visible(user, filing.id)))


@routes.post("/api/v1/export/review/filings/{id}/refuse")
async def refuse_filing(request: web.Request) -> web.Response:
    """Refuse a filing with every reason at once (R-E1)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"reasons"}), ("reasons",))
    filing = await enterprises.refuse(user, path_id(request), body["reasons"])
    return ok(_filing(request, await enterprises.visible(user, filing.id)))


@routes.get("/api/v1/export/review/licences")
async def licence_queue(request: web.Request) -> web.Response:
    """Licence applications awaiting issue, against the 3-working-day target (R-E5)."""
    user = await current_user(request)
    rows = await licences.queue(request.app[DEPS], user)
    return ok({"items": [present.licence(lic) for lic in rows]})


@routes.get("/api/v1/export/review/licences/stats")
async def licence_stats(request: web.Request) -> web.Response:
    """How often licences were issued within 3 working days (R-E5)."""
    user = await current_user(request)
    return ok(await licences.issuance_stats(request.app[DEPS], user))


@routes.post("/api/v1/export/review/licences/{id}/issue")
async def issue_licence(request: web.Request) -> web.Response:
    """Issue a licence (R-E5)."""
    user = await current_user(request)
    await read_json(request, frozenset())
    licence: Licence = await licences.issue(request.app[DEPS], user, path_id(request))
    return await _licence(request, licence.id)


@routes.post("/api/v1/export/review/licences/{id}/refuse")
async def refuse_licence(request: web.Request) -> web.Response:
    """Refuse a licence application with every reason at once; its vehicles are freed."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"reasons"}), ("reasons",))
    licence = await licences.refuse(user, path_id(request), body["reasons"])
    return await _licence(request, licence.id)


# --- customs: the one clearance, exits, owner-change clearances ----------------------------


@routes.post("/api/v1/export/customs/licences/{id}/clearance")
async def clear_licence(request: web.Request) -> web.Response:
    """Record the customs clearance of a licence and the vehicles actually cleared (R-E3)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"vins", "declaration_number"}), ("vins",))
    licence = await obligations.record_clearance(user, path_id(request), body)
    return await _licence(request, licence.id)


@routes.post("/api/v1/export/customs/exits")
async def record_exit(request: web.Request) -> web.Response:
    """Record that a cleared vehicle left the country."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"vin", "port", "exited_at"}), ("vin",))
    return ok(_exit(await obligations.officer_exit(user, body)), status=201)


@routes.get("/api/v1/export/customs/vin-status")
async def vin_status(request: web.Request) -> web.Response:
    """Whether a VIN is on a cleared licence and has not left yet (the gate's question)."""
    user = await current_user(request)
    require_role(user, Role.CUSTOMS, Role.GATE_SUPERVISOR, Role.ADMIN)
    vin = request.query.get("vin", "")
    return ok({"vin": vin, "cleared_for_exit": await vin_cleared_for_exit(vin)})


@routes.post("/api/v1/export/customs/owner-change-clearances")
async def clear_owner_change(request: web.Request) -> web.Response:
    """Clear an owner change after transfer-pending-export, on the authorities' word (R-E6)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"vin", "reason"}), ("vin", "reason"))
    granted = await obligations.grant_owner_change(user, body)
    return ok({"id": granted.id, "vin": granted.vin, "reason": granted.reason}, status=201)
