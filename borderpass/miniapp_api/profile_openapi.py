"""OpenAPI of the organisation profile routes (R-P1), merged into the API document."""

from __future__ import annotations

from typing import Any

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_NSTR: dict[str, Any] = {"type": ["string", "null"]}
_P = "/api/v1/profiles"


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


def _shape(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required)}


_FIELDS: dict[str, Any] = {
    "organisation_name": {**_STR, "description": "名称, as on the business licence"},
    "legal_representative": {**_STR, "description": "法定代表人 / 负责人"},
    "address": {**_STR, "description": "住所"},
    "contact_name": _STR, "contact_phone": _STR,
    "licence_document_id": {"type": ["integer", "null"], "description":
                            "the caller's uploaded business_licence photo (营业执照)"},
}
PROFILE_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", _P): _obj({"uscc": {**_STR, "description": "18 characters, GB 32100-2015 check "
                                 "character"}, **_FIELDS},
                       ("uscc", "organisation_name", "legal_representative", "address",
                        "contact_name", "contact_phone")),
    ("post", f"{_P}/licence-reading"): _obj({"document_id": {
        **_INT, "description": "the caller's uploaded business_licence photo"}},
        ("document_id",)),
    ("patch", f"{_P}/{{id}}"): _obj({**_FIELDS, "version": {
        **_INT, "description": "the version read: a change made meanwhile answers 409"}}),
}
PROFILE_QUERIES: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("get", f"{_P}/{{id}}/prefill"): {"flow": {"enum": ["unit", "business_filing",
                                                        "export_filing"]}},
    ("get", "/api/v1/admin/profiles"): {"uscc": _STR},
}
PROFILE = _shape({
    "id": _INT, "uscc": _STR, "organisation_name": _STR, "legal_representative": _STR,
    "address": _STR,
    "contact_name": _STR, "contact_phone": {**_NSTR, "description": "masked (R-U7)"},
    "licence_document_id": {"type": ["integer", "null"]},
    "status": {"enum": ["claimed", "verified", "superseded"]},
    "verified_how": _NSTR, "verified_at": _NSTR, "version": _INT,
    "created_at": _STR, "updated_at": _STR,
}, ("id", "uscc", "organisation_name", "status", "version"))
_CHANGE = _shape({"at": _STR, "field": {**_STR, "description": "created, status or a field"},
                  "old": _STR, "new": _STR, "version": _INT,
                  "actor_id": {"type": ["integer", "null"]}, "actor": _STR},
                 ("at", "field", "old", "new"))


def _items(item: dict[str, Any]) -> dict[str, Any]:
    return _shape({"items": {"type": "array", "items": item}}, ("items",))


PROFILE_SUCCESS: dict[tuple[str, str], dict[str, Any]] = {
    ("post", _P): PROFILE, ("get", _P): _items(PROFILE),
    ("get", f"{_P}/{{id}}"): PROFILE, ("patch", f"{_P}/{{id}}"): PROFILE,
    ("get", f"{_P}/{{id}}/history"): _items(_CHANGE),
    ("get", f"{_P}/{{id}}/prefill"): _shape(
        {"profile_id": _INT, "version": _INT, "flow": _STR,
         "fields": {"type": "object", "description": "the form's body part the profile "
                    "fills (the phone masked)"}}, ("profile_id", "fields")),
    ("get", "/api/v1/admin/profiles"): _items(PROFILE),
    ("post", f"{_P}/licence-reading"): _shape(
        {"document_id": _INT, "fill": {"type": "object", "description": "profile fields "
                                        "read surely and checked: fill them"},
         "check": {"type": "object", "description": "fields read but not sure or failing a "
                   "check: show them for the user to check, never fill (R-P5)"}},
        ("document_id", "fill", "check")),
    ("post", "/api/v1/admin/profiles/{id}/verify"): PROFILE,
}
PROFILE_CREATED = frozenset({("post", _P)})
PROFILE_IDEMPOTENT = frozenset({_P})
