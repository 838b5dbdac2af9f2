"""OpenAPI answers of the credit routes (R-P2), merged into ``openapi_responses``."""

from __future__ import annotations

from typing import Any

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_NSTR: dict[str, Any] = {"type": ["string", "null"]}
_NINT: dict[str, Any] = {"type": ["integer", "null"]}
CLASSES = ["good", "normal", "restricted", "dishonest"]


def _shape(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required)}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


CREDIT_SCHEMAS: dict[str, dict[str, Any]] = {
    "CreditEvent": _shape({
        "id": _INT, "kind": {**_STR, "description": "crossing_on_time, overstay, "
                             "overstay_lifted, dishonesty, dishonesty_lifted, export_locked, "
                             "export_released, false_data_return, violation, "
                             "violation_lifted"},
        "text": {**_STR, "description": "the kind in the caller's language"},
        "source": _STR, "ref": _STR,
        "lifts": {**_NSTR, "description": "the ref of the event this one ends"},
        "occurred_at": {"type": "string", "format": "date-time"}, "until": _NSTR,
        "filing_id": _NINT}, ("id", "kind", "text", "source", "ref", "occurred_at")),
    "CreditReason": _shape({
        "rule": {**_STR, "description": "the rule id (R-P2.1 … R-P2.5, docs/rules.md)"},
        "text": {**_STR, "description": "the rule and its event in the caller's language"},
        "event_id": _INT, "kind": _STR, "at": _STR, "count": _INT, "needed": _INT},
        ("rule", "text")),
    "Credit": _shape({
        "party_kind": {"enum": ["person", "organisation"]},
        "label": {**_STR, "description": "masked name or enterprise name"},
        "filings": {"type": "array", "items": _INT},
        "credit_class": {"enum": CLASSES},
        "class_text": {**_STR, "description": "the class in the caller's language"},
        "rule": _STR, "rule_version": _INT, "cause_event_id": _NINT,
        "reasons": {"type": "array", "items": _ref("CreditReason")},
        "restrictions": {"type": "array", "items": _shape({"code": _STR, "text": _STR},
                                                           ("code", "text"))},
        "updated_at": _NSTR,
        "events": {"type": "array", "items": _ref("CreditEvent")}},
        ("party_kind", "credit_class", "class_text", "rule", "rule_version", "reasons",
         "restrictions", "events")),
    "FastLane": _shape({
        "outcome": {"enum": ["approved", "sampled"], "description": "approved by the rule, "
                    "or sampled to human review (R-P2.6)"},
        "rule": _STR, "rule_version": _INT, "decided_at": _STR, "credit_class": _STR,
        "class_rule": _STR, "cause_event_id": _NINT, "sample_share": {"type": "number"}},
        ("outcome", "rule", "rule_version")),
}
CREDIT_SUCCESS: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/api/v1/me/credit"): _shape(
        {"items": {"type": "array", "items": _ref("Credit")}}, ("items",)),
    ("get", "/api/v1/review/filings/{id}/credit"): {"allOf": [_ref("Credit")]},
}
