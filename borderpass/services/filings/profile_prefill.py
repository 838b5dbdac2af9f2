"""Filling the three organisation forms from a profile (R-P1a): unit registration, business
(or official) filing and export filing.

A request names ``profile_id``; every organisation field it leaves out comes from the
profile, server-side (the contact phone too, which responses only show masked). A field it
gives must equal the profile's (``profile_mismatch``): a change is made once, in the
profile, where it is tracked — never silently in one form only.
"""

from __future__ import annotations

from typing import Any

from borderpass.core.errors import FieldError
from borderpass.core.masking import mask_phone
from borderpass.models import User
from borderpass.models.profiles import OrganisationProfile
from borderpass.ocr import trust
from borderpass.services.filings import profiles
from borderpass.services.ports import Deps

FLOWS = ("unit", "business_filing", "export_filing")


def fields_for(deps: Deps, profile: OrganisationProfile, flow: str, *,
               clear: bool = False) -> dict[str, Any]:
    """The part of ``flow``'s request body the profile fills (the phone masked unless
    ``clear``, which only the services use)."""
    phone = profiles.contact_phone(deps, profile)
    phone = phone if clear else (mask_phone(phone) or "")
    doc = profile.licence_document_id  # type: ignore[attr-defined]
    docs = {"business_licence": doc} if doc is not None else {}
    if flow == "unit":
        return {"unit_name": profile.name, "uscc": profile.uscc,
                "contact_name": profile.contact_name, "contact_phone": phone,
                "documents": docs}
    if flow == "business_filing":
        return {"organisation": {"name": profile.name, "uscc": profile.uscc},
                "documents": docs}
    if flow == "export_filing":
        return {"uscc": profile.uscc, "enterprise_name": profile.name,
                "address": profile.address,
                "legal_representative": profile.legal_representative,
                "contact_name": profile.contact_name, "contact_phone": phone,
                "documents": docs}
    raise FieldError("choice", "flow", choices=", ".join(FLOWS))


def _same(given: object, stored: object) -> bool:
    if isinstance(given, str) and isinstance(stored, str):
        return "".join(given.split()).upper() == "".join(stored.split()).upper()
    return given == stored


def _merge(body: dict[str, Any], filled: dict[str, Any], prefix: str = "") -> None:
    """Put each filled value the body leaves out into it; a given one must agree."""
    for key, value in filled.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            given = body.get(key)
            if given is None:
                body[key] = dict(value)
                continue
            if not isinstance(given, dict):
                raise FieldError("type_object", path)
            body[key] = dict(given)
            _merge(body[key], value, f"{path}.")
        elif body.get(key) is None:
            body[key] = value
        elif path.startswith("documents."):
            continue  # a document of the caller's own choosing replaces the profile's photo
        elif not _same(body[key], value):
            raise FieldError("profile_mismatch", path)  # change it in the profile (R-P1a)


async def fill(deps: Deps, user: User, body: dict[str, Any], flow: str) -> tuple[
        dict[str, Any], OrganisationProfile | None, frozenset[int]]:
    """``body`` with the profile's values filled in, the profile, and the document ids the
    caller may attach without owning them (the profile's licence photo)."""
    if body.get("profile_id") is None:
        return body, None, frozenset()
    profile = await profiles.usable(user, body["profile_id"])
    merged = {k: v for k, v in body.items() if k != "profile_id"}
    _merge(merged, fields_for(deps, profile, flow, clear=True))
    doc = profile.licence_document_id  # type: ignore[attr-defined]
    return merged, profile, frozenset({doc} if doc is not None else ())


# OCR field of a business licence → profile field (R-P1d)
LICENCE_MAP = {"uscc": "uscc", "name": "organisation_name",
               "legal_representative": "legal_representative", "address": "address"}


def from_licence(reading: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """The profile fields a licence reading fills — only values the reader is sure of and
    that pass their checks (the credit code its check character, R-P5) — and the others,
    read but to be checked by the user, never filled."""
    fill: dict[str, str] = {}
    check: dict[str, Any] = {}
    for ocr_name, name in LICENCE_MAP.items():
        field = reading.get("fields", {}).get(ocr_name) or {}
        value = field.get("value")
        if not isinstance(value, str) or not value:
            continue
        if trust.needs_check(field):
            check[name] = {"value": value, "warnings": field.get("warnings", []),
                           "confidence": field.get("confidence")}
        else:
            fill[name] = value
    return fill, check
