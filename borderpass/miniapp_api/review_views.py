"""The review desk: queue, approve, return; official letters (R-F6, R-F10, R-F2)."""

from __future__ import annotations

from aiohttp import web

from borderpass.core.errors import FieldError
from borderpass.miniapp_api.http import current_user, ok, path_id, read_json
from borderpass.models import OfficialLetter
from borderpass.models.enums import LetterStatus, Role
from borderpass.presenters import filings as present
from borderpass.services.filings import filing_reveal, filing_revocation, review
from borderpass.services.identity.access import require_role
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()


@routes.get("/api/v1/review/queue")
async def get_queue(request: web.Request) -> web.Response:
    """Submitted filings in submission order with their office-time wait."""
    user = await current_user(request)
    return ok({"items": await review.queue(request.app[DEPS], user)})


@routes.post("/api/v1/review/filings/{id}/approve")
async def approve(request: web.Request) -> web.Response:
    """Approve a submitted filing (valid one year, R-F3)."""
    user = await current_user(request)
    await read_json(request, frozenset())
    filing = await review.approve(user, path_id(request))
    return ok(present.filing(await filing_reveal.view(request.app[DEPS], filing, user),
                         user.locale))


@routes.post("/api/v1/review/filings/{id}/return")
async def return_filing(request: web.Request) -> web.Response:
    """Return a filing with all its reasons at once (R-F6)."""
    user = await current_user(request)
    require_role(user, Role.REVIEWER, Role.ADMIN)
    body = await read_json(request, frozenset({"reasons"}), ("reasons",))
    filing = await review.return_filing(user, path_id(request), body["reasons"])
    return ok(present.filing(await filing_reveal.view(request.app[DEPS], filing, user),
                         user.locale))


@routes.post("/api/v1/review/filings/{id}/revoke")
async def revoke(request: web.Request) -> web.Response:
    """Revoke an approved filing with a reason; its passes are refused at the lane."""
    user = await current_user(request)
    require_role(user, Role.REVIEWER, Role.ADMIN)
    body = await read_json(request, frozenset({"reason"}), ("reason",))
    filing = await filing_revocation.revoke(user, path_id(request), body["reason"])
    return ok(present.filing(await filing_reveal.view(request.app[DEPS], filing, user),
                         user.locale))


@routes.get("/api/v1/review/official-letters")
async def pending_letters(request: web.Request) -> web.Response:
    """Official letters awaiting a decision."""
    user = await current_user(request)
    require_role(user, Role.REVIEWER, Role.ADMIN)
    letters = await OfficialLetter.filter(status=LetterStatus.PENDING).order_by("id").limit(200)
    return ok({"items": [present.official_letter(x) for x in letters]})


@routes.post("/api/v1/review/official-letters/{id}/decide")
async def decide_letter(request: web.Request) -> web.Response:
    """Approve or refuse an official letter (R-F2)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"approve", "reason"}), ("approve",))
    if not isinstance(body["approve"], bool):
        raise FieldError("type_bool", "approve")
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise FieldError("type_string", "reason")
    letter = await review.decide_letter(user, path_id(request), body["approve"], reason)
    return ok(present.official_letter(letter))
