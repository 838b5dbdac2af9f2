"""The organisation records in a person's data export (R-D3): the units they registered,
administer or are listed by, their own list entries and signed commitments, and the export
enterprises they belong to with their own export filings. Nobody else's entry is included:
another member of the same unit or enterprise is a third party."""

from __future__ import annotations

from typing import Any

from borderpass.core.masking import mask_number
from borderpass.models import User
from borderpass.models.export import Enterprise, EnterpriseFiling, EnterpriseMember
from borderpass.models.profiles import OrganisationProfile
from borderpass.models.units import Commitment, Membership, Unit, UnitAdmin
from borderpass.presenters import filings as present
from borderpass.services.filings import profiles
from borderpass.services.identity import phones
from borderpass.services.ports import Deps


async def collect(deps: Deps, user: User) -> dict[str, Any]:
    """The ``units``, ``unit_memberships``, ``unit_commitments``, ``export_enterprises``,
    ``export_filings`` and ``organisation_profiles`` (those the user claimed, with their
    change history) sections of ``data.json``."""
    own = await Membership.filter(user_id=user.id).order_by("id")
    admin_of: set[Any] = set(await UnitAdmin.filter(user_id=user.id)
                             .values_list("unit_id", flat=True))
    registered: set[Any] = set(await Unit.filter(registered_by_id=user.id)
                               .values_list("id", flat=True))
    unit_ids = admin_of | registered | {m.unit_id for m in own}  # type: ignore[attr-defined]
    units = [_unit(deps, u, user, u.id in admin_of)
             for u in await Unit.filter(id__in=list(unit_ids) or [0]).order_by("id")]
    member_of = await EnterpriseMember.filter(user_id=user.id).order_by("id")
    enterprises = {e.id: e for e in await Enterprise.filter(
        id__in=[m.enterprise_id for m in member_of] or [0])}  # type: ignore[attr-defined]
    return {
        "units": units,
        "unit_memberships": [_membership(deps, m) for m in own],
        "unit_commitments": await Commitment.filter(signed_by_id=user.id).order_by("id").values(
            "id", "unit_id", "kind", "version", "locale", "text_sha256", "signed_at"),
        "export_enterprises": [
            {"id": m.enterprise_id, "uscc": enterprises[m.enterprise_id].uscc,  # type: ignore[attr-defined]
             "name": enterprises[m.enterprise_id].name,  # type: ignore[attr-defined]
             "is_contact": m.is_contact, "member_since": m.created_at}
            for m in member_of],
        "export_filings": [_export_filing(deps, f) for f in
                           await EnterpriseFiling.filter(applicant_id=user.id).order_by("id")],
        "organisation_profiles": [
            {**present.profile(p, profiles.masked_phone(deps, p)),
             "history": await profiles.history(p)}
            for p in await OrganisationProfile.filter(claimant_id=user.id).order_by("id")],
    }


def _unit(deps: Deps, unit: Unit, user: User, admin: bool) -> dict[str, Any]:
    """A unit as the person knows it; its contact only to whoever registered it (they gave
    it), never to a member listed by it."""
    shown: dict[str, Any] = {"id": unit.id, "name": unit.name, "kind": unit.kind.value,
                             "uscc": unit.uscc, "status": unit.status.value,
                             "administrator": admin,
                             "registered_by_me": unit.registered_by_id == user.id,  # type: ignore[attr-defined]
                             "created_at": unit.created_at}
    if shown["registered_by_me"]:
        shown["contact_name"] = unit.contact_name
        shown["contact_phone"] = phones.read(deps, unit.sealed, "contact_phone",
                                             "unit.contact_phone", unit.contact_phone)
    return shown


def _membership(deps: Deps, member: Membership) -> dict[str, Any]:
    """The person's own entry on a unit's list (identity number masked, as in filings)."""
    token = member.sealed.get("id_number")
    id_number = deps.cipher.decrypt(token, "member.id_number") if token else None
    return {"id": member.id, "unit_id": member.unit_id,  # type: ignore[attr-defined]
            "filing_id": member.filing_id,  # type: ignore[attr-defined]
            "person_name": member.person_name, "id_number": mask_number(id_number),
            "phone": phones.read(deps, member.sealed, "phone", "member.phone", member.phone),
            "plate_number": member.plate_number, "is_owner": member.is_owner,
            "self_use": member.self_use, "status": member.status.value,
            "submitted_at": member.submitted_at, "listed_at": member.listed_at,
            "removed_at": member.removed_at, "removal_reason": member.removal_reason}


def _export_filing(deps: Deps, filing: EnterpriseFiling) -> dict[str, Any]:
    """An export filing the person submitted, as they submitted it."""
    return {"id": filing.id, "enterprise_id": filing.enterprise_id,  # type: ignore[attr-defined]
            "kind": filing.kind.value, "status": filing.status.value, "data": filing.data,
            "contact_phone": phones.read(deps, filing.sealed, "contact_phone",
                                         "export.contact_phone",
                                         filing.data.get("contact_phone")),
            "submitted_at": filing.submitted_at, "approved_at": filing.approved_at,
            "expires_at": filing.expires_at}
