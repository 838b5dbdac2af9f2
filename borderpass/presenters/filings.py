"""Filings as the doors send them (issue #24): the filing, its return reasons, its
renewal and correction links. Numbers and phones arrive masked in the service's
FilingView; names are masked here when the service says so (filing_reveal, R-U7)."""

from __future__ import annotations

from typing import Any

from borderpass.core.masking import mask_name
from borderpass.models import FilingCommitment, OfficialLetter
from borderpass.models.enums import FilingCategory
from borderpass.models.profiles import OrganisationProfile
from borderpass.models.units import Commitment
from borderpass.presenters import credit
from borderpass.services.filings import filing_reveal, return_reasons
from borderpass.services.filings.filings import FilingView


def filing(view: FilingView, locale: str) -> dict[str, Any]:
    """The filing's answer; reasons in the reader's ``locale``."""
    f = view.filing
    data = f.data
    body: dict[str, Any] = {
        "id": f.id,
        "category": f.category.value,
        "status": f.status.value,
        "vehicle": data.get("vehicle", {}),
        "drivers": [{"id": d.id, "name": d.name, "phone": d.phone, "is_owner": d.is_owner,
                     **d.numbers} for d in view.drivers],
        "documents": dict(view.documents),
        "official_letter_id": f.official_letter_id,  # type: ignore[attr-defined]
        "submitted_at": _iso(f.submitted_at),
        "approved_at": _iso(f.approved_at),
        "expires_at": _iso(f.expires_at),
        "return_reasons": reasons(f.return_reasons, locale),
        "prefilled": data.get("prefilled", {}),
        "conflicts": data.get("conflicts", {}),
        **renewal(view),  # R-F3
        "corrects_id": f.corrects_id,  # type: ignore[attr-defined]  # R-D6
        "corrected_by_id": view.corrected_by_id,
        "fast_lane": credit.fast_lane(view.fast_lane) if view.fast_lane else None,  # R-P2.6
    }
    if f.category is FilingCategory.PERSONAL:
        body["owner"] = {**data.get("owner", {}), "id_number": view.owner_id_number}
    else:
        body["organisation"] = data.get("organisation", {})
        body["profile_id"] = data.get("profile", {}).get("id")  # R-P1a
    return _names_masked(body, f.category) if view.names_masked else body


def renewal(view: FilingView) -> dict[str, Any]:
    """The renewal fields: what it renews, from when it is in force, what it changed, and
    from when it can itself be renewed (R-F3)."""
    f = view.filing
    return {
        "renews_id": f.renews_id,  # type: ignore[attr-defined]
        "starts_at": _iso(f.starts_at),
        "renewal_changes": f.renewal_changes,
        "renewable_from": _iso(view.renewable_from),
    }


def reasons(stored: list[dict[str, str]], locale: str) -> list[dict[str, Any]]:
    """Return reasons: the stored ones plus their texts in ``locale``."""
    return [{**r, "lang": r.get("lang", "zh_CN") if r.get("message") else None,
             "label": return_reasons.field_name(r, locale),
             "text": return_reasons.code_text(r.get("code", return_reasons.OTHER), locale),
             "note": return_reasons.note_text(r, locale)} for r in stored]


def official_letter(letter: OfficialLetter) -> dict[str, Any]:
    """An official letter: its unit, document, decision and what it names (R-F2)."""
    return {"id": letter.id, "unit_name": letter.unit_name, "status": letter.status.value,
            "document_id": letter.document_id,  # type: ignore[attr-defined]
            "reason": letter.reason,
            "decided_at": _iso(letter.decided_at),
            **letter_scope(letter)}


def letter_scope(letter: OfficialLetter) -> dict[str, Any]:
    """What an official letter names, as the applicant and the reviewer see it (numbers
    masked when the letter was stored, R-F2)."""
    return {"named_vehicles": [{"plate": v.get("plate"), "vin": v.get("vin")}
                               for v in letter.vehicles],
            "named_people": [{"name": p.get("name", ""), "id_number": p.get("id_masked", "")}
                             for p in letter.people]}


def commitment(c: Commitment | FilingCommitment) -> dict[str, Any]:
    """A consent record: which text (version, locale, hash), when; a filing's, by which
    channel."""
    shown = {"kind": c.kind, "version": c.version, "locale": c.locale,
             "text_sha256": c.text_sha256, "signed_at": c.signed_at.isoformat()}
    if isinstance(c, FilingCommitment):
        shown["channel"] = c.channel
    return shown


def profile(p: OrganisationProfile, contact_phone: str | None) -> dict[str, Any]:
    """A profile as its editors and staff see it; ``contact_phone`` as
    ``profiles.masked_phone`` gives it, masked for everyone (R-U7)."""
    return {
        "id": p.id, "uscc": p.uscc, "organisation_name": p.name,
        "legal_representative": p.legal_representative, "address": p.address,
        "contact_name": p.contact_name, "contact_phone": contact_phone,
        "licence_document_id": p.licence_document_id,  # type: ignore[attr-defined]
        "status": p.status.value, "verified_how": p.verified_how or None,
        "verified_at": _iso(p.verified_at),
        "version": p.version, "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat(),
    }


def _names_masked(body: dict[str, Any], category: FilingCategory) -> dict[str, Any]:
    """Names masked too, as filing_reveal decided for this viewer (R-U7)."""
    for driver in body["drivers"]:
        driver["name"] = mask_name(driver["name"])
    personal = category is FilingCategory.PERSONAL
    if personal and body["vehicle"].get("owner_name"):
        body["vehicle"] = {**body["vehicle"],
                           "owner_name": mask_name(body["vehicle"]["owner_name"])}
    for key in ("prefilled", "conflicts"):  # OCR marks may carry a name read from a document
        body[key] = {path: _masked_mark(path, mark, personal) for path, mark in body[key].items()}
    return body


def _masked_mark(path: str, mark: dict[str, Any], personal: bool) -> dict[str, Any]:
    if not mark.get("value") or not filing_reveal.is_personal(path, personal):
        return mark
    return {**mark, "value": mask_name(str(mark["value"]))}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None
