"""OpenAPI request schemas of the export routes (R-E1..R-E8), merged into the API document."""

from __future__ import annotations

from typing import Any

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_DATE: dict[str, Any] = {"type": "string", "format": "date"}
_VIN: dict[str, Any] = {"type": "string", "minLength": 17, "maxLength": 17,
                        "description": "GB 16735-2019: digits and capitals, no I, O or Q"}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


def _docs(*kinds: str) -> dict[str, Any]:
    return _obj({k: _INT for k in kinds}, kinds)


_REASONS = _obj({"reasons": {"type": "array", "minItems": 1, "items": _obj(
    {"field": _STR, "message": _STR}, ("message",))}}, ("reasons",))
_VEHICLE = _obj({
    "vin": _VIN, "brand": _STR, "model": _STR,
    "certificate_number": _STR, "certificate_document_id": _INT,
    "pending_export_on": _DATE, "owner_changed_on": _DATE,
}, ("vin", "brand", "model", "certificate_number", "certificate_document_id"))

EXPORT_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/export/filings"): _obj({
        "filing_kind": {"enum": ["new", "change"]}, "uscc": _STR, "enterprise_name": _STR,
        "address": _STR, "legal_representative": _STR, "contact_name": _STR,
        "contact_phone": _STR, "documents": _obj(
            {"business_licence": _INT, "export_filing_form": _INT}, ("export_filing_form",)),
        "profile_id": {**_INT, "description": "R-P1a: the organisation profile the fields "
                       "left out come from (the others must equal it)"},
    }, ("documents",)),
    ("post", "/api/v1/export/licences"): _obj({
        "enterprise_id": _INT,
        "commodity_code": {"type": "string", "pattern": "^87[0-9]{6}([0-9]{2})?$"},
        "destination": {"type": "string", "description": "ISO 3166 alpha-2; CN for a zone"},
        "customs_zone": _STR, "exporter": _STR, "consignor": _STR,
        "goods_state": {"enum": ["used"]},
        "documents": _docs("export_contract", "market_access_statement"),
        "vehicles": {"type": "array", "minItems": 1, "maxItems": 20, "items": _VEHICLE},
    }, ("enterprise_id", "commodity_code", "destination", "documents", "vehicles")),
    ("post", "/api/v1/export/cancellations"): _obj({
        "vin": _VIN, "qr_text": _STR, "cancelled_on": _DATE, "document_id": _INT,
    }, ("vin", "qr_text", "cancelled_on")),
    ("post", "/api/v1/export/review/filings/{id}/refuse"): _REASONS,
    ("post", "/api/v1/export/review/licences/{id}/refuse"): _REASONS,
    ("post", "/api/v1/export/customs/licences/{id}/clearance"): _obj({
        "vins": {"type": "array", "minItems": 1, "maxItems": 20, "items": _VIN},
        "declaration_number": {"type": "string", "pattern": "^[0-9]{18}$"},
    }, ("vins",)),
    ("post", "/api/v1/export/customs/exits"): _obj({
        "vin": _VIN, "port": _STR, "exited_at": {"type": "string", "format": "date-time"},
    }, ("vin",)),
    ("post", "/api/v1/export/customs/owner-change-clearances"): _obj(
        {"vin": _VIN, "reason": _STR}, ("vin", "reason")),
    ("post", "/api/v1/export/enterprises/{id}/members"): _obj({
        "user_id": _INT, "phone": {**_STR, "description": "the phone the colleague "
                                   "registered in their profile"}}),
    ("post", "/api/v1/export/invitations/accept"): _obj({"code": _STR}, ("code",)),
}
EXPORT_IDEMPOTENT = frozenset({"/api/v1/export/filings", "/api/v1/export/licences",
                               "/api/v1/export/cancellations"})
