"""OpenAPI responses: the schema of each route's success answer, and the error statuses
every route may answer with the one ``Error`` shape (merged by ``openapi.build_spec``)."""

from __future__ import annotations

from typing import Any

from borderpass.miniapp_api.credit_openapi import CREDIT_SCHEMAS, CREDIT_SUCCESS
from borderpass.miniapp_api.profile_openapi import PROFILE_CREATED, PROFILE_SUCCESS
from borderpass.services.filings.requirements import READABLE_KINDS

_STR: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
_NSTR: dict[str, Any] = {"type": ["string", "null"]}


def ref(name: str) -> dict[str, Any]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _shape(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """An answer object: these properties at least (answers may grow new ones)."""
    return {"type": "object", "properties": props, "required": list(required)}


def items(item: dict[str, Any]) -> dict[str, Any]:
    """A list answer: ``{"items": [...]}``."""
    return _shape({"items": {"type": "array", "items": item}}, ("items",))


OCR_KIND_ENUM = sorted(READABLE_KINDS)
SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {**_STR, "description": "stable machine code, e.g. plate_already_filed"},
            "field": {**_NSTR, "description": "the request field at fault, if any"},
            "message": {**_STR, "description": "a sentence in the caller's language"}},
            "additionalProperties": False},
        "errors": {"type": "array", "description": "every field error at once (R-F6)",
                   "items": {"$ref": "#/components/schemas/ErrorDetail"}}},
        "additionalProperties": False},
    "ErrorDetail": {"type": "object", "required": ["code", "message"], "properties": {
        "code": _STR, "field": _NSTR, "message": _STR}, "additionalProperties": False},
    "Object": {"type": "object", "description": "an object answer (see the route's summary)"},
    "User": _shape({"id": _INT, "display_name": _NSTR, "phone": _NSTR, "locale": _STR,
                    "timezone": _NSTR, "roles": {"type": "array", "items": _STR}},
                   ("id", "locale", "roles")),
    "Session": _shape({"token": _STR, "user": ref("User")}, ("token", "user")),
    "OcrField": _shape({"value": {}, "confidence": {"type": "number"},
                        "warnings": {"type": "array", "items": _STR, "description":
                                     "the checks the value failed, e.g. name_shape, "
                                     "date_range, vin_checksum"},
                        "check": {**_BOOL, "description": "true: a value was read but is "
                                  "not sure enough to trust; show it for the user to check "
                                  "(it is never prefilled, R-P5)"}},
                       ("value", "confidence", "warnings")),
    "OcrCheck": _shape({"document": {**_STR, "description": "the document kind read"},
                        "field": {**_STR, "description": "the OCR field of that document"},
                        "path": {**_NSTR, "description": "the filing's form field it "
                                 "fills (drivers[0].name …), null if none"},
                        "warnings": {"type": "array", "items": _STR, "description":
                                     "why: low_confidence, a failed check, or "
                                     "disagrees_<kind> (another document reads it "
                                     "differently)"}},
                       ("document", "field", "path", "warnings")),
    "Prefill": _shape({"filled": {"type": "array", "items": _STR},
                       "conflicts": {"type": "array", "items": _STR},
                       "matched": {"type": "array", "items": _STR},
                       "check": {"type": "array", "items": ref("OcrCheck"), "description":
                                 "values read but not prefilled: the user must look at "
                                 "these (R-P5)"}},
                      ("filled", "conflicts", "matched", "check")),
    "OcrReading": _shape({"kind": {"enum": OCR_KIND_ENUM},
                          "fields": {"type": "object", "additionalProperties": ref("OcrField")},
                          "warnings": {"type": "array", "items": _STR},
                          "angle": _INT}, ("kind", "fields", "warnings")),
    "Document": _shape({"id": _INT, "kind": _STR, "mime": _STR, "size": _INT, "width": _INT,
                        "height": _INT, "sha256": _STR,
                        "ocr": {"oneOf": [ref("OcrReading"), {"type": "null"}]},
                        "created_at": _TIME,
                        "ocr_error": {**_STR, "description": "why the photo was not read "
                                      "(it is kept; retry or type the fields)"},
                        "prefill": {"allOf": [ref("Prefill")],
                                    "description": "fields of the draft "
                                    "filled from this photo's reading (R-P1), and those the "
                                    "user must check (R-P5)"}},
                       ("id", "kind", "mime", "size", "sha256", "created_at")),
    "Declaration": _shape({"id": _INT, "filing_id": _INT, "driver_id": _INT,
                           "direction": {"enum": ["exit", "entry"]}, "port": _STR,
                           "port_name": {**_STR, "description": "the port's name in the "
                                         "caller's language"},
                           "planned_at": _TIME, "status": _STR, "created_at": _TIME},
                          ("id", "filing_id", "driver_id", "direction", "port", "status")),
    "Trip": _shape({"id": _INT, "filing_id": _INT, "plate_number": _NSTR,
                    "status": {"enum": ["open", "closed", "cancelled"]},
                    "exited_at": _TIME, "deadline": _TIME, "returned_at": _NSTR,
                    "days_left": {"type": ["integer", "null"],
                                  "description": "whole days to the deadline (R-F8)"},
                    "overdue": _BOOL},
                   ("id", "filing_id", "status", "deadline", "days_left", "overdue")),
    "Port": _shape({"code": {**_STR, "description": "what a declaration's port names"},
                    "name": {**_STR, "description": "the name in the caller's language"},
                    "names": _shape({"zh_CN": _STR, "my": _STR, "en": _STR},
                                    ("zh_CN", "my", "en")),
                    "countries": {**_STR, "description": "the country pair, e.g. CN-MM"},
                    "active": _BOOL}, ("code", "name", "names", "countries")),
    "PrivacyNotice": _shape({"kind": _STR, "version": _STR, "locale": _STR, "text": _STR,
                             "sha256": _STR}, ("version", "locale", "text", "sha256")),
    "PrivacyConsent": _shape({"consented": _BOOL, "current_version": _STR, "version": _STR,
                              "locale": _STR, "text_sha256": _STR, "channel": _STR,
                              "given_at": _TIME, "withdrawn_at": _NSTR},
                             ("consented", "current_version")),
    "DataExport": _shape({"id": _INT, "status": {"enum": ["pending", "ready", "failed"]},
                          "requested_at": _TIME, "ready_at": _NSTR, "expires_at": _NSTR,
                          "size": {"type": ["integer", "null"]}, "file": _NSTR},
                         ("id", "status", "requested_at")),
    "Deletion": _shape({
        "requested_at": _TIME, "repeated": {**_BOOL, "description": "asked before: nothing "
                                            "was deleted twice"},
        "deleted": {"type": "object", "description": "counts deleted at once: drafts, "
                    "documents, data_exports, files, notifications, sessions, subject_key",
                    "additionalProperties": _INT},
        "kept": {"type": "array", "items": _shape({
            "record": _STR, "id": _INT, "status": _STR,
            "reason": {"enum": ["under_review", "in_force", "retention"]},
            "holds": {"type": "array", "items": {
                "enum": ["blacklist", "smuggling_referral", "open_trip"]}},
            "kept_until": _NSTR}, ("record", "id", "reason", "holds", "kept_until"))},
        "account_erased": _BOOL,
        "deferred_by": {"type": "array", "items": _STR}},
        ("requested_at", "repeated", "deleted", "kept", "account_erased", "deferred_by")),
    "Filing": _shape({"id": _INT, "category": {"enum": ["personal", "business", "official"]},
                      "status": _STR,
                      "renews_id": {"type": ["integer", "null"],
                                    "description": "the filing this one renews (R-F3)"},
                      "starts_at": {**_NSTR, "description": "in force from (a renewal: the "
                                    "renewed filing's expiry)"},
                      "renewal_changes": {"type": ["array", "null"], "items": _STR,
                                          "description": "form paths a renewal or a "
                                          "correction changed"},
                      "corrects_id": {"type": ["integer", "null"],
                                      "description": "the filing this one corrects (R-D6)"},
                      "corrected_by_id": {"type": ["integer", "null"],
                                          "description": "a superseded filing: the "
                                          "correction that took its place (R-D6)"},
                      "renewable_from": {**_NSTR, "description": "when renewal opens"},
                      "fast_lane": {"oneOf": [ref("FastLane"), {"type": "null"}],
                                    "description": "a renewal: the fast lane's decision "
                                    "(R-P2.6), null when it went to review as usual"}},
                     ("id", "category", "status")),
    **CREDIT_SCHEMAS,
}

# Routes whose success is 201 Created (the others answer 200).
CREATED = PROFILE_CREATED | frozenset({
    ("post", "/api/v1/filings"), ("post", "/api/v1/declarations"), ("post", "/api/v1/documents"),
    ("post", "/api/v1/filings/{id}/renew"), ("post", "/api/v1/filings/{id}/correct"),
    ("post", "/api/v1/official-letters"), ("post", "/api/v1/gate/manual-lifts"),
    ("post", "/api/v1/gate/emergency"), ("post", "/api/v1/gate/handovers"),
    ("post", "/api/v1/units"), ("post", "/api/v1/units/join"),
    ("post", "/api/v1/units/{id}/uploads"), ("post", "/api/v1/export/filings"),
    ("post", "/api/v1/export/cancellations"), ("post", "/api/v1/export/customs/exits"),
    ("post", "/api/v1/export/licences"),
    ("post", "/api/v1/export/customs/owner-change-clearances"),
    ("post", "/api/v1/export/enterprises/{id}/members"),
    ("post", "/api/v1/export/enterprises/{id}/invitations"),
    ("post", "/api/v1/export/invitations/accept"),
    ("post", "/api/v1/admin/agencies"), ("post", "/api/v1/agency/events"),
})
# Routes whose success is 202 Accepted (a job is queued).
ACCEPTED = frozenset({("get", "/api/v1/me/data")})
# Routes answering a file instead of JSON.
FILES = {
    ("get", "/api/v1/documents/{id}/file"): "image/*",
    ("get", "/api/v1/declarations/{id}/pass.png"): "image/png",
    ("get", "/api/v1/units/{id}/registration-code.png"): "image/png",
    ("get", "/api/v1/units/{id}/members/export"): "text/csv",
    ("get", "/api/v1/me/data/{id}/file"): "application/zip",
}
_FILINGS = "/api/v1/filings"
SUCCESS: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/api/v1/auth/wx-login"): ref("Session"),
    ("post", "/api/v1/auth/staff-login"): ref("Session"),
    ("get", "/api/v1/me"): ref("User"),
    ("patch", "/api/v1/me"): ref("User"),
    ("post", "/api/v1/ocr/{kind}"): ref("OcrReading"),
    ("post", "/api/v1/documents"): ref("Document"),
    ("get", "/api/v1/documents/{id}"): ref("Document"),
    ("post", _FILINGS): ref("Filing"),
    ("get", _FILINGS): items(ref("Filing")),
    ("get", f"{_FILINGS}/{{id}}"): ref("Filing"),
    ("patch", f"{_FILINGS}/{{id}}"): ref("Filing"),
    ("post", f"{_FILINGS}/{{id}}/submit"): ref("Filing"),
    ("post", f"{_FILINGS}/{{id}}/renew"): ref("Filing"),
    ("post", f"{_FILINGS}/{{id}}/correct"): ref("Filing"),
    ("post", "/api/v1/declarations"): ref("Declaration"),
    ("get", "/api/v1/declarations"): items(ref("Declaration")),
    ("get", "/api/v1/declarations/{id}"): ref("Declaration"),
    ("post", "/api/v1/declarations/{id}/cancel"): ref("Declaration"),
    ("get", "/api/v1/trips"): items(ref("Trip")),
    ("get", "/api/v1/ports"): items(ref("Port")),
    ("get", "/api/v1/privacy/notice"): ref("PrivacyNotice"),
    ("get", "/api/v1/privacy/consent"): ref("PrivacyConsent"),
    ("post", "/api/v1/privacy/consent"): ref("PrivacyConsent"),
    ("get", "/api/v1/me/data"): ref("DataExport"),
    ("post", "/api/v1/me/deletion"): ref("Deletion"),
    ("get", "/api/v1/me/data/{id}"): ref("DataExport"),
    ("get", "/api/v1/openapi.json"): {"type": "object", "required": ["openapi", "paths"]},
    **CREDIT_SUCCESS,
    **PROFILE_SUCCESS,
}
# GET routes answering ``{"items": [...]}`` whose items are not described above.
LISTS = frozenset({
    "/api/v1/admin/blacklist", "/api/v1/export/filings",
    "/api/v1/export/enterprises", "/api/v1/export/licences", "/api/v1/export/review/filings",
    "/api/v1/export/review/licences", "/api/v1/official-letters",
    "/api/v1/admin/notifications", "/api/v1/gate/manual-lifts", "/api/v1/gate/ledger",
    "/api/v1/review/queue", "/api/v1/review/official-letters", "/api/v1/units/{id}/members",
    "/api/v1/units/notices", "/api/v1/units", "/api/v1/admin/units",
    "/api/v1/admin/dishonesty", "/api/v1/export/enterprises/{id}/members",
    "/api/v1/admin/agencies", "/api/v1/admin/agencies/{id}/dead-letters",
    "/api/v1/admin/agency-events/pending",
})
ERROR_STATUSES = {
    "400": "Malformed request", "401": "No valid session token",
    "403": "The caller's roles do not allow this", "404": "No such resource (or not the "
    "caller's)", "405": "Method not allowed", "409": "Conflicts with the current state",
    "410": "No longer valid (a revoked registration code): do not retry",
    "413": "Body or upload too large", "422": "A field is wrong; every wrong field is listed",
    "429": "Too many attempts", "503": "A dependency is down: retry after Retry-After seconds",
}


def responses(method: str, path: str) -> dict[str, Any]:
    """The responses object of one operation: its success and every error status."""
    status = "201" if (method, path) in CREATED else \
        "202" if (method, path) in ACCEPTED else "200"
    if (method, path) in FILES:
        media = [FILES[(method, path)]]
        if media[0] == "text/csv":  # ?format=csv or xlsx
            media.append("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        success: dict[str, Any] = {"description": "The file", "content": {
            m: {"schema": {"type": "string", "format": "binary"}} for m in media}}
    else:
        schema = SUCCESS.get((method, path))
        if schema is None:
            schema = items(ref("Object")) if method == "get" and path in LISTS \
                else ref("Object")
        success = {"description": {"201": "Created", "202": "Accepted"}.get(status, "OK"),
                   "content": {"application/json": {"schema": schema}}}
    answer = {status: success}
    for code in ERROR_STATUSES:
        answer[code] = {"$ref": f"#/components/responses/Error{code}"}
    return answer


def error_responses() -> dict[str, Any]:
    """``components.responses``: one shared response per error status."""
    shared: dict[str, Any] = {}
    for code, text in ERROR_STATUSES.items():
        shared[f"Error{code}"] = {"description": text,
                                  "content": {"application/json": {"schema": ref("Error")}}}
    shared["Error503"]["headers"] = {"Retry-After": {"schema": _INT}}
    shared["Error429"]["headers"] = {"Retry-After": {"schema": _INT}}
    return shared
