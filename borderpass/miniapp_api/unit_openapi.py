"""OpenAPI request bodies of the unit routes (merged into ``openapi.BODIES``)."""

from __future__ import annotations

from typing import Any

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_IDS: dict[str, Any] = {"type": "array", "items": _INT, "minItems": 1, "maxItems": 500}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


_COMMITMENT = _obj({"version": _STR, "locale": {"enum": ["zh_CN", "my", "en"]},
                    "text_sha256": _STR, "accepted": {"const": True}},
                   ("version", "locale", "text_sha256", "accepted"))
CONSENT = _COMMITMENT  # the consent shape, shared with the filing submission
_UNIT = "/api/v1/units/{id}"
UNIT_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/units"): _obj({
        "unit_name": _STR,
        "unit_kind": {"enum": ["government", "enterprise", "social_organisation", "community",
                               "frequent_passage"]},
        "uscc": _STR, "contact_name": _STR, "contact_phone": _STR,
        "documents": {"type": "object", "additionalProperties": _INT},
        "profile_id": {**_INT, "description": "R-P1a: the organisation profile the fields "
                       "left out come from (the others must equal it)"}},
        ("unit_kind",)),
    ("post", "/api/v1/units/join"): _obj(
        {"scene": _STR, "filing_id": _INT, "driver_id": _INT, "commitment": _COMMITMENT,
         "id_number": {**_STR, "description": "the caller's own identity number: how a "
                       "driver who is not the applicant shows the row is theirs (R-U3)"}},
        ("scene", "filing_id", "driver_id", "commitment")),
    ("post", f"{_UNIT}/admins"): _obj({"user_id": _INT}, ("user_id",)),
    ("post", f"{_UNIT}/members/verify"): _obj({"member_ids": _IDS}, ("member_ids",)),
    ("post", f"{_UNIT}/members/reject"): _obj({"member_ids": _IDS, "reason": _STR},
                                              ("member_ids", "reason")),
    ("post", f"{_UNIT}/uploads"): _obj({"commitment": _COMMITMENT}, ("commitment",)),
    ("post", f"{_UNIT}/members/{{member_id}}/remove"): _obj(
        {"reason": {"enum": ["left", "asked"]}, "note": _STR}, ("reason",)),
    ("post", f"{_UNIT}/deregister"): _obj({"reason": _STR}, ("reason",)),
    ("post", "/api/v1/admin/units/{id}/authenticate"): _obj(
        {"approve": {"type": "boolean"}, "reason": _STR}, ("approve",)),
    ("post", "/api/v1/admin/credit-list/remove"): _obj(
        {"id_number": _STR, "plate_number": _STR, "vin": _STR, "note": _STR,
         "until": {"type": "string", "format": "date-time",
                   "description": "when the dishonesty record ends (default: until lifted)"}},
        ("note",)),
    ("post", "/api/v1/admin/dishonesty/{id}/lift"): _obj({"reason": _STR}, ("reason",)),
}
