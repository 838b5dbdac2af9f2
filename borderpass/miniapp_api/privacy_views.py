"""Personal data (PIPL): the privacy notice and consent (R-D1, R-D2), the user's data
export (R-D3), deletion on request (R-D7). Rules live in ``services.privacy.privacy``,
``services.privacy.data_export`` and ``services.privacy.erasure``."""

from __future__ import annotations

from aiohttp import web

from borderpass.core.errors import FieldError
from borderpass.core.i18n import normalize_locale
from borderpass.miniapp_api.http import current_user, locale_of, ok, path_id, read_json
from borderpass.presenters import privacy as present
from borderpass.services.filings.commitments import MINIAPP
from borderpass.services.privacy import data_export, erasure, privacy
from borderpass.services.units import unit_removals
from borderpass.web.appkeys import DEPS

routes = web.RouteTableDef()
CONSENT_FIELDS = frozenset({"version", "locale", "text_sha256", "accepted"})


@routes.get("/api/v1/privacy/notice")
async def get_notice(request: web.Request) -> web.Response:
    """The current privacy notice, with its version and hash (to consent to)."""
    locale = normalize_locale(request.query.get("locale")) or locale_of(request)
    return ok(privacy.notice(locale).as_dict())


@routes.get("/api/v1/privacy/consent")
async def get_consent(request: web.Request) -> web.Response:
    """Whether the caller has consented to the current notice version."""
    return ok(present.consent(await privacy.state(await current_user(request))))


@routes.post("/api/v1/privacy/consent")
async def give_consent(request: web.Request) -> web.Response:
    """Consent separately to the privacy notice shown (needed before identity documents)."""
    user = await current_user(request)
    text = privacy.check_payload(await read_json(request, CONSENT_FIELDS))
    return ok(present.consent(await privacy.give(user, text, MINIAPP)))


@routes.post("/api/v1/privacy/withdraw")
async def withdraw_consent(request: web.Request) -> web.Response:
    """Withdraw consent: identity uploads stop; what the law lets go is deleted now, the
    rest is listed with the date it will be."""
    user = await current_user(request)
    await read_json(request, frozenset())
    return ok(present.withdrawal(await privacy.withdraw(request.app[DEPS], user)))


@routes.post("/api/v1/me/deletion")
async def request_deletion(request: web.Request) -> web.Response:
    """Delete the caller's personal data (R-D7): what the law lets go at once; the answer
    lists what is kept, why (legal holds, filings in force) and until when. Idempotent."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"confirm"}))
    if body.get("confirm") is not True:
        raise FieldError("deletion_not_confirmed", "confirm")
    done = await erasure.request(request.app[DEPS], user, unit_removals.ON_ERASURE)  # R-U6
    return ok(present.erasure_request(done))


@routes.get("/api/v1/me/data")
async def request_export(request: web.Request) -> web.Response:
    """Ask for a copy of everything held about the caller: built in the background; a
    message says when it is ready (202 and the job)."""
    user = await current_user(request)
    return ok(present.export_job(await data_export.request(user)), status=202)


@routes.get("/api/v1/me/data/{id}")
async def get_export(request: web.Request) -> web.Response:
    """One of the caller's data exports: its state."""
    user = await current_user(request)
    return ok(present.export_job(await data_export.own(user, path_id(request))))


@routes.get("/api/v1/me/data/{id}/file")
async def get_export_file(request: web.Request) -> web.Response:
    """The export itself (a zip: data.json and the document images); the owner only."""
    user = await current_user(request)
    export_id = path_id(request)
    data = await data_export.fetch(request.app[DEPS], user, export_id)
    return web.Response(body=data, content_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="borderpass-data-{export_id}.zip"',
        "X-Content-Type-Options": "nosniff"})
