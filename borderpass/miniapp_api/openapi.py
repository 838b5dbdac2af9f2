"""OpenAPI 3.1 description of the API, built from the routes and their docstrings."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from borderpass.miniapp_api.agency_openapi import AGENCY_BODIES, AGENCY_QUERIES, AGENCY_SIGNED
from borderpass.miniapp_api.export_openapi import EXPORT_BODIES, EXPORT_IDEMPOTENT
from borderpass.miniapp_api.http import ok
from borderpass.miniapp_api.openapi_responses import (
    OCR_KIND_ENUM,
    SCHEMAS,
    error_responses,
    responses,
)
from borderpass.miniapp_api.profile_openapi import (
    PROFILE_BODIES,
    PROFILE_IDEMPOTENT,
    PROFILE_QUERIES,
)
from borderpass.miniapp_api.unit_openapi import CONSENT, UNIT_BODIES
from borderpass.services.filings.requirements import (
    DRIVER_FIELDS,
    ORGANISATION_FIELDS,
    OWNER_FIELDS,
    VEHICLE_FIELDS,
    FieldSpec,
)

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_OBJ: dict[str, Any] = {"type": "object"}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


_TYPES: dict[str, dict[str, Any]] = {
    "bool": _BOOL, "date": {"type": "string", "format": "date"},
    "plate": {"type": "string", "description": "e.g. 云N12345"},
    "vin": {"type": "string", "pattern": "^[A-HJ-NPR-Z0-9]{17}$"},
}


def _section(specs: tuple[FieldSpec, ...]) -> dict[str, Any]:
    """A filing section's fields as the requirements list them (null clears a field)."""
    props = {}
    for spec in specs:
        base = {"enum": list(spec.choices)} if spec.choices else _TYPES.get(spec.type, _STR)
        props[spec.name.rpartition(".")[2]] = {
            "anyOf": [base, {"type": "null"}], "description": spec.label}
    return {"type": "object", "properties": props, "additionalProperties": False}


_DRIVER = {"type": "object", "properties": {
    "id": _INT, **_section(DRIVER_FIELDS)["properties"]}, "additionalProperties": False}
_FILING = _obj({
    "category": {"enum": ["personal", "business", "official"]},
    "vehicle": _section(VEHICLE_FIELDS), "owner": _section(OWNER_FIELDS),
    "organisation": _section(ORGANISATION_FIELDS), "official_letter_id": _INT,
    "drivers": {"type": "array", "items": _DRIVER},
    "documents": {"type": "object", "additionalProperties": {"type": ["integer", "null"]}},
})
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    **EXPORT_BODIES,
    **AGENCY_BODIES,
    **UNIT_BODIES,
    **PROFILE_BODIES,
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
    ("post", "/api/v1/privacy/consent"): CONSENT,
    ("post", "/api/v1/me/deletion"): _obj({"confirm": {**_BOOL, "description": "true: delete "
                                           "my personal data (R-D7)"}}, ("confirm",)),
    ("post", "/api/v1/filings/{id}/reveal"): _obj({"field": _STR, "purpose": _STR},
                                                  ("field",)),
    ("post", "/api/v1/review/filings/{id}/return"): _obj({"reasons": {
        "type": "array", "items": _obj({"field": _STR, "code": _STR, "message": _STR},
                                       ("field",))}}, ("reasons",)),
    ("post", "/api/v1/review/filings/{id}/revoke"): _obj({"reason": _STR}, ("reason",)),
    ("post", "/api/v1/review/official-letters/{id}/decide"): _obj(
        {"approve": _BOOL, "reason": _STR}, ("approve",)),
    ("post", "/api/v1/official-letters"): _obj({
        "unit_name": _STR, "document_id": _INT,
        "named_vehicles": {"type": "array", "minItems": 1, "maxItems": 50, "description":
                     "the vehicles the letter names (R-F2): plate, VIN or both",
                     "items": _obj({"plate": _TYPES["plate"], "vin": _TYPES["vin"]})},
        "named_people": {"type": "array", "minItems": 1, "maxItems": 50, "description":
                   "the people the letter names (R-F2): name and identity number",
                   "items": _obj({"name": _STR, "id_number": _STR}, ("name", "id_number"))}},
        ("unit_name", "document_id", "named_vehicles", "named_people")),
    ("post", "/api/v1/declarations"): _obj({
        "filing_id": _INT, "driver_id": _INT, "direction": {"enum": ["exit", "entry"]},
        "port": {**_STR, "description": "an active port's code (GET /api/v1/ports)"},
        "planned_at": {"type": "string", "format": "date-time"}},
        ("filing_id", "driver_id", "direction", "port")),
    ("post", "/api/v1/admin/blacklist/{id}/lift"): _obj({"reason": _STR}, ("reason",)),
    ("post", "/api/v1/admin/blacklist/{id}/smuggling"): _obj({"reason": _STR}, ("reason",)),
    ("post", "/api/v1/notify/subscriptions"): _obj({"results": {
        "type": "object", "description": "wx.requestSubscribeMessage's answer: template id → "
        "accept / reject / ban", "additionalProperties": _STR}}, ("results",)),
    ("post", "/api/v1/gate/manual-lifts"): _obj({"lane": _STR, "reason": _STR, "plate": _STR},
                                                ("lane", "reason")),
    ("post", "/api/v1/gate/manual-lifts/{id}/approve"): _obj({"note": _STR}),
    ("post", "/api/v1/gate/manual-lifts/{id}/refuse"): _obj({"note": _STR}),
    ("post", "/api/v1/gate/emergency"): _obj(
        {"lane": _STR, "plate": _STR, "kind": _STR, "note": _STR}, ("lane", "plate", "kind")),
    ("post", "/api/v1/gate/faults/{id}/resolve"): _obj({"cause": _STR, "fix": _STR},
                                                       ("cause", "fix")),
    ("post", "/api/v1/gate/handovers"): _obj({"lane": _STR, "to": _STR, "note": _STR},
                                             ("to",)),
}
# POST routes that take no fields: an empty object (or no body at all).
_EMPTY = frozenset({
    "/api/v1/auth/logout", "/api/v1/declarations/{id}/cancel",
    "/api/v1/declarations/{id}/pass/secret", "/api/v1/review/filings/{id}/approve",
    "/api/v1/filings/{id}/renew", "/api/v1/filings/{id}/correct",
    "/api/v1/admin/notifications/{id}/retry", "/api/v1/units/{id}/registration-code",
    "/api/v1/export/licences/{id}/return", "/api/v1/export/review/filings/{id}/approve",
    "/api/v1/export/review/licences/{id}/issue", "/api/v1/privacy/withdraw",
    "/api/v1/export/enterprises/{id}/members/{member_id}/remove",
    "/api/v1/export/enterprises/{id}/members/{member_id}/contact",
    "/api/v1/export/enterprises/{id}/invitations", "/api/v1/admin/profiles/{id}/verify",
})
_PATH_PARAMS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/v1/ocr/{kind}", "kind"): {"enum": OCR_KIND_ENUM},
    ("/api/v1/units/commitments/{kind}", "kind"): {"enum": ["personal", "unit"]},
    ("/api/v1/units/by-scene/{scene}", "scene"): _STR,
}
_PHOTO = {"type": "string", "contentMediaType": "image/*",
          "description": "JPEG, PNG or WebP, at most 10 MB"}
_MULTIPART = {
    ("post", "/api/v1/documents"): _obj({
        "kind": {**_STR, "description": "document kind, e.g. vehicle_licence"},
        "file": _PHOTO,
        "filing_id": {**_STR, "pattern": "^[0-9]{1,12}$", "description":
                      "a draft filing of the caller: the document is attached to it and its "
                      "reading fills the filing's empty fields (R-P1)"},
        "slot": {**_STR, "description": "the filing's document slot, e.g. id_card_front#2 for "
                 "the second driver (default: the kind itself, or the first driver's slot)"}},
        ("kind", "file")),
    ("post", "/api/v1/ocr/{kind}"): _obj({"file": _PHOTO}, ("file",)),
}
# Query parameters each route reads (all optional strings; the fuzz sends them too).
_DATETIME = {"type": "string", "format": "date-time"}
QUERIES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("get", "/api/v1/admin/blacklist"): {"all": _STR},
    ("get", "/api/v1/admin/dishonesty"): {"all": _STR},
    ("get", "/api/v1/export/customs/vin-status"): {"vin": _STR},
    ("get", "/api/v1/filings/requirements"): {"category": _STR},
    ("get", "/api/v1/filings/commitment"): {"locale": _STR},
    ("get", "/api/v1/privacy/notice"): {"locale": _STR},
    ("get", "/api/v1/filings"): {"status": _STR},
    ("get", "/api/v1/admin/notifications"): {"limit": _STR, "status": _STR},
    ("get", "/api/v1/gate/manual-lifts"): {"status": _STR},
    ("get", "/api/v1/gate/ledger"): {"from": _DATETIME, "to": _DATETIME, "lane": _STR},
    ("get", "/api/v1/units/commitments/{kind}"): {"locale": _STR},
    ("get", "/api/v1/units/{id}/members"): {"status": _STR},
    ("get", "/api/v1/units/{id}/members/export"): {"format": _STR, "status": _STR},
    ("get", "/api/v1/admin/units"): {"status": _STR},
    **AGENCY_QUERIES,
    **PROFILE_QUERIES,
}
_PUBLIC = {"/api/v1/auth/wx-login", "/api/v1/auth/staff-login", "/api/v1/openapi.json",
           "/api/v1/filings/requirements", "/api/v1/filings/commitment",
           "/api/v1/privacy/notice",
           "/api/v1/units/commitments/{kind}", "/api/v1/units/by-scene/{scene}",
           "/api/v1/ports"} | AGENCY_SIGNED


def _path_param(name: str) -> dict[str, Any]:
    """An id is an integer; any other path parameter a string."""
    return _INT if name == "id" or name.endswith("_id") else _STR


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
            "responses": responses(method, path),
        }
        params = re.findall(r"{(\w+)}", path)
        if params:
            op["parameters"] = [{"name": p, "in": "path", "required": True,
                                 "schema": _PATH_PARAMS.get((path, p), _path_param(p))}
                                for p in params]
        for name, schema in QUERIES.get((method, path), {}).items():
            op.setdefault("parameters", []).append(
                {"name": name, "in": "query", "required": False, "schema": schema})
        if method == "post" and path in _EMPTY:
            op["requestBody"] = {"required": False, "content": {
                "application/json": {"schema": _obj({})}}}
        if (method, path) in BODIES:
            op["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": BODIES[(method, path)]}}}
        if (method, path) in _MULTIPART:
            op["requestBody"] = {"required": True, "content": {
                "multipart/form-data": {"schema": _MULTIPART[(method, path)]}}}
        if path not in _PUBLIC:
            op["security"] = [{"bearer": []}]
        if method == "post" and path in {"/api/v1/filings", "/api/v1/declarations",
                                         "/api/v1/documents", "/api/v1/official-letters",
                                         "/api/v1/filings/{id}/renew",
                                         "/api/v1/filings/{id}/correct"} \
                | EXPORT_IDEMPOTENT | PROFILE_IDEMPOTENT:
            op.setdefault("parameters", []).append(
                {"name": "Idempotency-Key", "in": "header", "required": False, "schema": _STR})
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "BorderPass API", "version": "1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": SCHEMAS,
            "responses": error_responses(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def openapi_json(request: web.Request) -> web.Response:
    """This OpenAPI document."""
    return ok(build_spec(request.app))
