"""OpenAPI 3.1 description of the API, built from the routes and their docstrings."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from borderpass.miniapp_api.export_openapi import EXPORT_BODIES, EXPORT_IDEMPOTENT
from borderpass.miniapp_api.http import ok
from borderpass.miniapp_api.unit_openapi import CONSENT, UNIT_BODIES

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_OBJ: dict[str, Any] = {"type": "object"}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


_DRIVER = {"type": "object", "properties": {
    "id": _INT, "name": _STR, "id_number": _STR, "licence_number": _STR,
    "permit_number": _STR, "phone": _STR, "is_owner": _BOOL}, "additionalProperties": False}
_FILING = _obj({
    "category": {"enum": ["personal", "business", "official"]},
    "vehicle": _OBJ, "owner": _OBJ, "organisation": _OBJ, "official_letter_id": _INT,
    "drivers": {"type": "array", "items": _DRIVER},
    "documents": {"type": "object", "additionalProperties": {"type": ["integer", "null"]}},
})
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    **EXPORT_BODIES,
    **UNIT_BODIES,
    ("post", "/api/v1/auth/wx-login"): _obj({"code": _STR, "locale": _STR}, ("code",)),
    ("post", "/api/v1/auth/staff-login"): _obj({"username": _STR, "password": _STR},
                                               ("username", "password")),
    ("post", "/api/v1/auth/password"): _obj({"old_password": _STR, "new_password": _STR},
                                           ("old_password", "new_password")),
    ("post", "/api/v1/admin/staff/unlock"): _obj({"username": _STR}, ("username",)),
    ("post", "/api/v1/admin/staff/reset-password"): _obj(
        {"username": _STR, "new_password": _STR}, ("username", "new_password")),
    ("patch", "/api/v1/me"): _obj({"display_name": _STR, "phone": _STR, "locale": _STR,
                                   "timezone": _STR}),
    ("post", "/api/v1/filings"): _FILING,
    ("patch", "/api/v1/filings/{id}"): _FILING,
    ("post", "/api/v1/filings/{id}/submit"): _obj({"commitment": CONSENT}),
    ("post", "/api/v1/filings/{id}/reveal"): _obj({"field": _STR, "purpose": _STR},
                                                  ("field",)),
    ("post", "/api/v1/review/filings/{id}/return"): _obj({"reasons": {
        "type": "array", "items": _obj({"field": _STR, "code": _STR, "message": _STR},
                                       ("field",))}}, ("reasons",)),
    ("post", "/api/v1/review/official-letters/{id}/decide"): _obj(
        {"approve": _BOOL, "reason": _STR}, ("approve",)),
    ("post", "/api/v1/official-letters"): _obj({"unit_name": _STR, "document_id": _INT},
                                               ("unit_name", "document_id")),
    ("post", "/api/v1/declarations"): _obj({
        "filing_id": _INT, "driver_id": _INT, "direction": {"enum": ["exit", "entry"]},
        "port": _STR, "planned_at": {"type": "string", "format": "date-time"}},
        ("filing_id", "driver_id", "direction", "port")),
    ("post", "/api/v1/admin/blacklist/{id}/lift"): _obj({"reason": _STR}, ("reason",)),
}
_MULTIPART = {("post", "/api/v1/documents"): _obj(
    {"kind": _STR, "file": {"type": "string", "contentMediaType": "image/*"}},
    ("kind", "file"))}
# Query parameters each route reads (all optional strings; the fuzz sends them too).
_DATETIME = {"type": "string", "format": "date-time"}
QUERIES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("get", "/api/v1/admin/blacklist"): {"all": _STR},
    ("get", "/api/v1/export/customs/vin-status"): {"vin": _STR},
    ("get", "/api/v1/filings/requirements"): {"category": _STR},
    ("get", "/api/v1/filings/commitment"): {"locale": _STR},
    ("get", "/api/v1/filings"): {"status": _STR},
    ("get", "/api/v1/admin/notifications"): {"limit": _STR, "status": _STR},
    ("get", "/api/v1/gate/manual-lifts"): {"status": _STR},
    ("get", "/api/v1/gate/ledger"): {"from": _DATETIME, "to": _DATETIME, "lane": _STR},
    ("get", "/api/v1/units/commitments/{kind}"): {"locale": _STR},
    ("get", "/api/v1/units/{id}/members"): {"status": _STR},
    ("get", "/api/v1/units/{id}/members/export"): {"format": _STR, "status": _STR},
    ("get", "/api/v1/admin/units"): {"status": _STR},
}
_ERROR = _obj({"error": _obj({"code": _STR, "field": {"type": ["string", "null"]},
                              "message": _STR}, ("code", "message")),
               "errors": {"type": "array"}}, ("error",))
_PUBLIC = {"/api/v1/auth/wx-login", "/api/v1/auth/staff-login", "/api/v1/openapi.json",
           "/api/v1/filings/requirements", "/api/v1/filings/commitment"}


def build_spec(app: web.Application) -> dict[str, Any]:
    """The OpenAPI document of every ``/api/v1`` route of ``app``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        method = route.method.lower()
        if not path or not path.startswith("/api/v1") or method == "head":
            continue
        doc = (route.handler.__doc__ or "").strip().splitlines()
        op: dict[str, Any] = {
            "summary": doc[0] if doc else path,
            "operationId": f"{method}_{re.sub(r'[^a-z0-9]+', '_', path.lower()).strip('_')}",
            "responses": {"200": {"description": "OK"}, "default": {
                "description": "Error", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}},
        }
        params = re.findall(r"{(\w+)}", path)
        if params:
            op["parameters"] = [{"name": p, "in": "path", "required": True,
                                 "schema": _INT if p == "id" or p.endswith("_id") else _STR}
                                for p in params]
        for name, schema in QUERIES.get((method, path), {}).items():
            op.setdefault("parameters", []).append(
                {"name": name, "in": "query", "required": False, "schema": schema})
        if (method, path) in BODIES:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": BODIES[(method, path)]}}}
        if (method, path) in _MULTIPART:
            op["requestBody"] = {"required": True, "content": {
                "multipart/form-data": {"schema": _MULTIPART[(method, path)]}}}
        if path not in _PUBLIC:
            op["security"] = [{"bearer": []}]
        if method == "post" and path in {"/api/v1/filings", "/api/v1/declarations",
                                         "/api/v1/documents", "/api/v1/official-letters"} \
                | EXPORT_IDEMPOTENT:
            op.setdefault("parameters", []).append(
                {"name": "Idempotency-Key", "in": "header", "required": False, "schema": _STR})
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "BorderPass API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": _ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi_json(request: web.Request) -> web.Response:
    """This OpenAPI document."""
    return ok(build_spec(request.app))
