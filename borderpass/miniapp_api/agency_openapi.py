"""OpenAPI request schemas and queries of the exchange routes (docs/exchange.md)."""

from __future__ import annotations

from typing import Any

from borderpass.services.exchange import kinds

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}


def _obj(props: dict[str, Any], required: tuple[str, ...] = (),
         extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": extra}


AGENCY_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/admin/agencies"): _obj({
        "code": {**_STR, "description": "lower-case letters, digits, hyphens"},
        "name": _STR, "kind": {"enum": list(kinds.AGENCY_KINDS)},
        "url": {**_STR, "description": "https (plain http only to loopback when allowed)"},
        "event_types": {"type": "array", "minItems": 1,
                        "items": {"enum": list(kinds.CATEGORIES)}},
        "batch_size": {"type": "integer", "minimum": 1, "maximum": 500},
    }, ("code", "name", "kind", "url", "event_types")),
    ("post", "/api/v1/admin/agencies/{id}/replay"): _obj({"after": _INT}, ("after",)),
    ("post", "/api/v1/admin/agencies/{id}/active"): _obj({"active": {"type": "boolean"}},
                                                         ("active",)),
    ("post", "/api/v1/admin/agency-events/{id}/decision"): _obj(
        {"confirm": {"type": "boolean"}, "note": _STR}, ("confirm", "note")),
    ("post", "/api/v1/agency/events"): _obj({
        "specversion": {"const": "1.0"}, "id": _STR,
        "type": {"enum": list(kinds.INBOUND_TYPES)}, "source": _STR, "subject": _STR,
        "time": _STR, "datacontenttype": _STR, "data": {"type": "object"},
    }, ("specversion", "id", "type", "data"), extra=True),
}
AGENCY_QUERIES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("get", "/api/v1/agency/events"): {"after": _STR, "limit": _STR},
}
AGENCY_SIGNED = {"/api/v1/agency/events"}  # signed by the agency's key, no bearer token
