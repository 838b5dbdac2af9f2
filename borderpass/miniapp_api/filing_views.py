"""Filings: requirements, drafts, edits, submission; official letters."""

from __future__ import annotations

from aiohttp import web

from borderpass.core.i18n import normalize_locale, translate
from borderpass.miniapp_api.http import current_user, locale_of, ok, path_id, read_json
from borderpass.miniapp_api.idempotency import idempotent
from borderpass.models import OfficialLetter
from borderpass.presenters import filings as present
from borderpass.services.filings import (
    commitments,
    corrections,
    filing_reveal,
    filings,
    renewals,
    requirements,
    review,
)
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()
FILING_KEYS = frozenset({"category", "vehicle", "owner", "organisation", "official_letter_id",
                         "drivers", "documents", "confirm_prefill", "profile_id"})


@routes.get("/api/v1/filings/requirements")
async def get_requirements(request: web.Request) -> web.Response:
    """The fields and documents a category needs, labelled in the caller's locale."""
    category = filings.parse_category(request.query.get("category"))
    loc = locale_of(request)
    docs = requirements.base_documents(category)
    return ok({
        "category": category.value,
        "label": translate(requirements.CATEGORY_LABELS[category], loc),
        "fields": [
            {"name": s.name, "type": s.type, "required": s.required,
             "label": translate(s.label, loc), **({"choices": list(s.choices)} if s.choices
                                                  else {})}
            for s in requirements.category_fields(category)
        ],
        "driver_fields": [
            {"name": s.name, "type": s.type, "required": s.required,
             "label": translate(s.label, loc)} for s in requirements.DRIVER_FIELDS
        ],
        "max_drivers": requirements.MAX_PERSONAL_DRIVERS if category.value == "personal"
        else None,
        "documents": [{"kind": k, "label": translate(requirements.DOCUMENT_KINDS[k], loc)}
                      for k in docs],
        "driver_documents": [
            {"kind": k, "label": translate(requirements.DOCUMENT_KINDS[k], loc),
             "slot": requirements.driver_slot(k, 0).replace("#1", "#{n}")}
            for k in requirements.PER_DRIVER_DOCUMENTS
        ],
        "conditional_documents": [
            {"kind": k, "label": translate(requirements.DOCUMENT_KINDS[k], loc),
             "when": translate(when, loc)}
            for k, when in requirements.conditional_documents().items()
        ],
    })


@routes.get("/api/v1/filings/commitment")
async def get_filing_commitment(request: web.Request) -> web.Response:
    """The current filing credit commitment text, with its version and hash (to agree to)."""
    locale = normalize_locale(request.query.get("locale")) or locale_of(request)
    return ok(commitments.current(commitments.FILING, locale).as_dict())


@routes.post("/api/v1/filings")
@idempotent
async def create_filing(request: web.Request) -> web.Response:
    """Start a draft filing."""
    user = await current_user(request)
    body = await read_json(request, FILING_KEYS, ("category",))
    deps = request.app[DEPS]
    filing = await filings.create(deps, user, body)
    return ok(present.filing(await filings.view(deps, filing), user.locale), status=201)


@routes.get("/api/v1/filings")
async def list_filings(request: web.Request) -> web.Response:
    """The caller's filings."""
    user = await current_user(request)
    deps = request.app[DEPS]
    items = await filings.list_own(user, request.query.get("status"))
    return ok({"items": [present.filing(await filings.view(deps, f), user.locale)
                         for f in items]})


@routes.get("/api/v1/filings/{id}")
async def get_filing(request: web.Request) -> web.Response:
    """One filing (its applicant, a driver on it, or staff)."""
    user = await current_user(request)
    deps = request.app[DEPS]
    filing, parts = await filings.visible_with_parts(user, path_id(request))
    return ok(present.filing(await filing_reveal.view(deps, filing, user, parts), user.locale))


@routes.post("/api/v1/filings/{id}/reveal")
async def reveal_field(request: web.Request) -> web.Response:
    """Show one masked field of one filing (``field``, e.g. ``drivers[0].id_number``) with
    its stated ``purpose`` (required for staff), allowed by role and filing state; each
    reveal is audited (R-U7)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"field", "purpose"}), ("field",))
    filing_id = path_id(request)
    value = await filing_reveal.reveal(request.app[DEPS], user, filing_id, body["field"],
                                       body.get("purpose"))
    return ok({"filing_id": filing_id, "field": body["field"], "value": value})


@routes.patch("/api/v1/filings/{id}")
async def update_filing(request: web.Request) -> web.Response:
    """Edit a draft or returned filing."""
    user = await current_user(request)
    body = await read_json(request, FILING_KEYS)
    deps = request.app[DEPS]
    filing = await filings.update(deps, user, path_id(request), body)
    return ok(present.filing(await filings.view(deps, filing), user.locale))


@routes.post("/api/v1/filings/{id}/submit")
async def submit_filing(request: web.Request) -> web.Response:
    """Submit for review; every problem is listed at once. With ``commitment`` (the filing
    commitment agreed to), the consent is stored with channel ``miniapp``."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"commitment"}))
    deps = request.app[DEPS]
    filing = await filings.submit(deps, user, path_id(request),
                                  commitment=body.get("commitment"),
                                  channel=commitments.MINIAPP)
    return ok(present.filing(await filings.view(deps, filing), user.locale))


@routes.post("/api/v1/filings/{id}/renew")
@idempotent
async def renew_filing(request: web.Request) -> web.Response:
    """Renew an approved filing from 60 days before it expires (R-F3): a draft prefilled
    from it, to check, complete and submit; approved, its year starts at the old expiry."""
    user = await current_user(request)
    await read_json(request, frozenset())
    deps = request.app[DEPS]
    filing = await renewals.start(user, path_id(request))
    return ok(present.filing(await filings.view(deps, filing), user.locale), status=201)


@routes.post("/api/v1/filings/{id}/correct")
@idempotent
async def correct_filing(request: web.Request) -> web.Response:
    """Ask to correct a filing in force (R-D6): a draft prefilled from it, every document
    carried over, to edit and submit for review; approved, it supersedes the old filing
    and keeps its expiry."""
    user = await current_user(request)
    await read_json(request, frozenset())
    deps = request.app[DEPS]
    filing = await corrections.start(user, path_id(request))
    return ok(present.filing(await filings.view(deps, filing), user.locale), status=201)


@routes.post("/api/v1/official-letters")
@idempotent
async def create_letter(request: web.Request) -> web.Response:
    """Submit a unit's official letter for approval (R-F2)."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"unit_name", "document_id", "named_vehicles",
                                           "named_people"}),
                           ("unit_name", "document_id"))
    letter = await review.submit_letter(request.app[DEPS], user, body["unit_name"],
                                        body["document_id"], body.get("named_vehicles"),
                                        body.get("named_people"))
    return ok(present.official_letter(letter), status=201)


@routes.get("/api/v1/official-letters")
async def list_letters(request: web.Request) -> web.Response:
    """The caller's official letters."""
    user = await current_user(request)
    letters = await OfficialLetter.filter(applicant_id=user.id).order_by("-id").limit(100)
    return ok({"items": [present.official_letter(x) for x in letters]})
