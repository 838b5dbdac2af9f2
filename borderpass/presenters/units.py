"""Units and their list entries as the API and the console show them (R-U7 masking)."""

from __future__ import annotations

from typing import Any

from borderpass.core.masking import mask_name, mask_number, mask_phone
from borderpass.models.units import Unit
from borderpass.services.units.unit_members import MemberView
from borderpass.services.units.units import UnitView


def unit_public(unit: Unit) -> dict[str, Any]:
    """What anyone who scanned the code may see of a unit."""
    return {"id": unit.id, "name": unit.name, "kind": unit.kind.value,
            "status": unit.status.value}


def unit(view: UnitView) -> dict[str, Any]:
    """A unit as its admins and the back office see it."""
    row = view.unit
    return {
        **unit_public(row),
        "uscc": row.uscc,
        "contact_name": row.contact_name,
        "contact_phone": mask_phone(view.contact_phone),  # R-U7: masked for every viewer
        "documents": view.documents,
        "profile_id": row.profile_id,  # type: ignore[attr-defined]  # R-P1a
        "scene": view.scene,
        "refusal_reason": row.refusal_reason,
        "decided_at": _iso(row.decided_at),
        "deregistered_at": _iso(row.deregistered_at),
        "deregistration_reason": row.deregistration_reason,
        "created_at": row.created_at.isoformat(),
    }


def unit_member(view: MemberView) -> dict[str, Any]:
    """One entry; name, identity number and phone masked unless the service said clear
    (R-U7)."""
    member, clear = view.member, view.clear
    return {
        "id": member.id, "unit_id": member.unit_id,  # type: ignore[attr-defined]
        "status": member.status.value,
        "name": member.person_name if clear else mask_name(member.person_name),
        "id_number": view.id_number if clear else mask_number(view.id_number),
        "phone": view.phone if clear else mask_phone(view.phone),
        "plate_number": member.plate_number, "is_owner": member.is_owner,
        "self_use": member.self_use, "filing_id": member.filing_id,  # type: ignore[attr-defined]
        "submitted_at": member.submitted_at.isoformat(),
        "decided_at": _iso(member.decided_at), "listed_at": _iso(member.listed_at),
        "rejection_reason": member.rejection_reason,
        "removed_at": _iso(member.removed_at), "removal_reason": member.removal_reason,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None
