"""The mini-program and back-office JSON API under ``/api/v1``."""

from __future__ import annotations

from aiohttp import web

from borderpass.miniapp_api import (
    agency_views,
    auth_views,
    credit_views,
    crossing_views,
    document_views,
    export_views,
    filing_views,
    notify_views,
    ocr_views,
    pass_views,
    privacy_views,
    profile_views,
    review_views,
    staff_views,
    unit_views,
)
from borderpass.miniapp_api.middleware import error_middleware
from borderpass.miniapp_api.openapi import openapi_json


def setup_routes(app: web.Application) -> None:
    """Mount every API route and the error middleware on ``app``."""
    app.middlewares.append(error_middleware)
    for module in (auth_views, document_views, filing_views, review_views, crossing_views,
                   ocr_views, pass_views, staff_views):
        app.router.add_routes(module.routes)
    app.router.add_routes(unit_views.routes)
    app.router.add_routes(notify_views.routes)
    app.router.add_routes(export_views.routes)
    app.router.add_routes(privacy_views.routes)
    app.router.add_routes(credit_views.routes)
    app.router.add_routes(agency_views.routes)
    app.router.add_routes(profile_views.routes)
    app.router.add_get("/api/v1/openapi.json", openapi_json)
