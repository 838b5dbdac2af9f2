"""Organisation profiles (R-P1): enter once, read, change, history, prefill; staff verify."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from borderpass.core.errors import FieldError
from borderpass.miniapp_api.http import current_user, ok, path_id, read_json
from borderpass.miniapp_api.idempotency import idempotent
from borderpass.models.profiles import OrganisationProfile
from borderpass.presenters import filings as present
from borderpass.services.filings import documents, profile_prefill, profiles
from borderpass.services.identity.access import require_role
from borderpass.services.ports import Deps
from borderpass.web.appkeys import DEPS, OCR_POOL

routes = web.RouteTableDef()
PROFILE = "/api/v1/profiles/{id:\\d+}"


@routes.post("/api/v1/profiles")
@idempotent
async def create(request: web.Request) -> web.Response:
    """Enter an enterprise's or unit's particulars once, by its USCC (R-P1); a USCC already
    verified for an organisation the caller is not a member of is refused (R-P1b)."""
    user = await current_user(request)
    body = await read_json(request, profiles.CREATE_KEYS)
    profile = await profiles.create(request.app[DEPS], user, body)
    return ok(_shown(request.app[DEPS], profile), status=201)


@routes.post("/api/v1/profiles/licence-reading")
async def licence_reading(request: web.Request) -> web.Response:
    """Read the caller's uploaded business licence photo (营业执照) for the profile form:
    ``fill`` holds only values the reader is sure of that pass their checks (the credit
    code its check character), ``check`` the others for the user to look at (R-P1d)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"document_id"}), ("document_id",))
    doc = await documents.owned_document(user, body["document_id"], "document_id")
    if doc.kind != "business_licence":
        raise FieldError("document_wrong_kind", "document_id", expected="business_licence",
                         found=doc.kind)
    deps = request.app[DEPS]
    reading = await request.app[OCR_POOL].read(doc.kind, await documents.document_bytes(
        deps, doc))
    await documents.save_reading(deps, doc, reading)  # sealed (R-U7)
    fill, check = profile_prefill.from_licence(reading)
    return ok({"document_id": doc.id, "fill": {**fill, "licence_document_id": doc.id},
               "check": check})


@routes.get("/api/v1/profiles")
async def mine(request: web.Request) -> web.Response:
    """The caller's claims and the verified profiles of their units and enterprises."""
    user = await current_user(request)
    deps = request.app[DEPS]
    return ok({"items": [_shown(deps, p) for p in await profiles.of_user(user)]})


@routes.get(PROFILE)
async def get_profile(request: web.Request) -> web.Response:
    """One profile (its editors, its claimant, staff); anyone else gets a 404."""
    user = await current_user(request)
    profile = await profiles.readable(user, path_id(request))
    return ok(_shown(request.app[DEPS], profile))


@routes.patch(PROFILE)
async def change(request: web.Request) -> web.Response:
    """Change some fields (its editors); ``version`` guards against a change made meanwhile.
    Each changed field is a line of the history (R-P1c); the USCC never changes."""
    user = await current_user(request)
    body = await read_json(request, profiles.EDIT_KEYS | {"uscc"})
    profile = await profiles.update(request.app[DEPS], user, path_id(request), body)
    return ok(_shown(request.app[DEPS], profile))


@routes.get(PROFILE + "/history")
async def history(request: web.Request) -> web.Response:
    """Who changed which field when, old and new values (personal ones masked, R-P1c)."""
    user = await current_user(request)
    profile = await profiles.readable(user, path_id(request))
    return ok({"items": await profiles.history(profile)})


@routes.get(PROFILE + "/prefill")
async def prefill(request: web.Request) -> web.Response:
    """What the profile fills in a form: ``?flow=unit|business_filing|export_filing`` (the
    phone masked: send ``profile_id`` with the form and the server fills it, R-P1a)."""
    user = await current_user(request)
    profile = await profiles.usable(user, path_id(request), "id")
    fields = profile_prefill.fields_for(request.app[DEPS], profile,
                                        request.query.get("flow", ""))
    return ok({"profile_id": profile.id, "version": profile.version,
               "flow": request.query["flow"], "fields": fields})


@routes.get("/api/v1/admin/profiles")
async def staff_list(request: web.Request) -> web.Response:
    """Profiles for the back office, ``?uscc=`` for one organisation's claims."""
    user = await current_user(request)
    require_role(user, *profiles.STAFF_ROLES)
    deps = request.app[DEPS]
    rows = await profiles.for_staff(request.query.get("uscc"))
    return ok({"items": [_shown(deps, p) for p in rows]})


@routes.post("/api/v1/admin/profiles/{id:\\d+}/verify")
async def verify(request: web.Request) -> web.Response:
    """Staff vouch for a claim after checking its licence; the USCC's other claims are
    superseded (R-P1b)."""
    user = await current_user(request)
    await read_json(request, frozenset())
    profile = await profiles.verify_by_staff(user, path_id(request))
    return ok(_shown(request.app[DEPS], profile))


def _shown(deps: Deps, profile: OrganisationProfile) -> dict[str, Any]:
    return present.profile(profile, profiles.masked_phone(deps, profile))
