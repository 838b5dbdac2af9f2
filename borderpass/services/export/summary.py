"""What an enterprise user sees of an enterprise: filing in force, lock, pending cancellations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from borderpass.core.errors import NotFound
from borderpass.models import User
from borderpass.models.export import Enterprise, EnterpriseFiling, EnterpriseMember
from borderpass.services import clock
from borderpass.services.export import forms
from borderpass.services.export.enterprises import current_filing, last_expiry
from borderpass.services.export.obligations import (
    licences_to_return,
    overdue_vins,
    pending_cancellations,
)


async def own(user: User) -> list[Enterprise]:
    """The enterprises the user files and applies for."""
    ids = await EnterpriseMember.filter(user_id=user.id).values_list("enterprise_id", flat=True)
    return await Enterprise.filter(id__in=list(ids)).order_by("id")


@dataclass(frozen=True)
class EnterpriseSummary:
    """An enterprise with its filing in force (R-E1), the expiry of its last filing, the
    VINs that lock it and the cancellations and returns it owes (R-E3, R-E7)."""

    enterprise: Enterprise
    filing: EnterpriseFiling | None
    expiry: datetime | None
    overdue_vins: list[str]
    pending_cancellations: list[dict[str, Any]]
    licences_to_return: list[dict[str, Any]]


async def summarise(enterprise: Enterprise) -> EnterpriseSummary:
    """Filing in force, lock with the overdue VINs and pending cancellations, now."""
    now = clock.now()
    filing = await current_filing(enterprise.id, now)
    expiry = filing.expires_at if filing else await last_expiry(enterprise.id)
    return EnterpriseSummary(enterprise, filing, expiry, await overdue_vins(enterprise.id, now),
                             await pending_cancellations(enterprise.id),
                             await licences_to_return(enterprise.id))  # R-E3


async def visible(user: User, enterprise_id: int) -> Enterprise:
    """One of the user's enterprises; any other id is a 404, like an unknown one."""
    enterprise = await Enterprise.get_or_none(id=enterprise_id)
    if enterprise is None or not await forms.is_member(user, enterprise):
        raise NotFound("export_enterprise_not_found", "id")
    return enterprise
