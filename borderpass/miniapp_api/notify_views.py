"""Notifications: subscribe grants from the mini-program, and the admin's failed-push desk."""

from __future__ import annotations

from aiohttp import web

from borderpass.core import ids
from borderpass.core.errors import FieldError
from borderpass.miniapp_api.http import current_user, ok, path_id, read_json
from borderpass.miniapp_api.idempotency import idempotent
from borderpass.models.notify import SubscribeGrant
from borderpass.presenters import notify as present
from borderpass.services.notify import events, outbox
from borderpass.web.appkeys import NOTIFY

routes = web.RouteTableDef()


@routes.get("/api/v1/notify/templates")
async def templates(request: web.Request) -> web.Response:
    """Subscribe template ids per slot, for ``wx.requestSubscribeMessage``, and my grants."""
    user = await current_user(request)
    config = request.app[NOTIFY]
    grants = await SubscribeGrant.filter(user_id=user.id)
    return ok({"subscribe": dict(config.subscribe_templates),
               "grants": events.grants_view(grants)})


@routes.post("/api/v1/notify/subscriptions")
@idempotent  # a retried accept must not count twice (issue #18)
async def subscriptions(request: web.Request) -> web.Response:
    """Record the answers of ``wx.requestSubscribeMessage``: ``{"results": {id: "accept"}}``."""
    user = await current_user(request)
    body = await read_json(request, frozenset({"results"}), ("results",))
    allowed = frozenset(request.app[NOTIFY].subscribe_templates.values())
    return ok({"grants": await events.record_grants(user, body["results"], allowed)})


@routes.get("/api/v1/admin/notifications")
async def list_notifications(request: web.Request) -> web.Response:
    """Notifications by status, newest first: ``?status=failed`` (default), waiting, …"""
    user = await current_user(request)
    limit_text = request.query.get("limit", str(outbox.LIST_LIMIT))
    if ids.id_from_text(limit_text, outbox.LIST_LIMIT) is None:
        raise FieldError("too_many", "limit", max=outbox.LIST_LIMIT)
    rows = await outbox.list_for_admin(user, request.query.get("status", "failed"),
                                       int(limit_text))
    return ok({"items": [present.notification(r) for r in rows]})


@routes.get("/api/v1/admin/notifications/{id}")
async def get_notification(request: web.Request) -> web.Response:
    """One notification with every delivery attempt."""
    user = await current_user(request)
    return ok(present.notification(
        *await outbox.detail_for_admin(user, path_id(request, limit=ids.MAX_ID))))


@routes.post("/api/v1/admin/notifications/{id}/retry")
async def retry_notification(request: web.Request) -> web.Response:
    """Send a failed or waiting notification again, at once."""
    user = await current_user(request)
    await read_json(request, frozenset())
    return ok(present.notification(await outbox.retry(user, path_id(request, limit=ids.MAX_ID))))
