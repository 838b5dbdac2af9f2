"""Correction of a filing in force (R-D6, PIPL art. 46): a change request reviewed like a filing.

Built on the renewal (``renewals``): a correction is a new draft prefilled from the filing
in force (``corrects_id`` points back), with every document carried over (none is asked
anew; the applicant replaces what is wrong), edited, submitted with the filing commitment
and reviewed in the same queue, with the fields it changed listed in ``renewal_changes``.
An unchanged correction is refused at submission. Allowed at any time while the filing is
in force; one renewal or correction in progress per filing (index
``filings_one_successor``).

Approved, it takes the old filing's place with the same validity (from the approval until
the old expiry: a correction never extends a filing) and the old one becomes
``superseded``: kept as history, linked both ways, no longer live (every reader of live
filings asks for ``approved``). The unit list entries move to it as for a renewal; trips
are the vehicle's; declarations already approved on the old filing keep their pass, which
the lane still opens until the old expiry (``filing_validity.lane_reason``), unless the
correction is revoked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from borderpass.core.errors import Conflict, FieldError
from borderpass.models import Filing, User
from borderpass.models.enums import FilingStatus
from borderpass.services import clock
from borderpass.services.filings import renewal_changes, renewals
from borderpass.services.ports import Deps

NOTHING_FRESH: frozenset[str] = frozenset()  # every document is carried over and compared


def in_force(filing: Filing, now: datetime) -> bool:
    """Approved, started and unexpired at ``now``."""
    started = filing.starts_at is None or filing.starts_at <= now
    return (filing.status is FilingStatus.APPROVED and filing.expires_at is not None
            and started and now < filing.expires_at)


def check_correctable(filing: Filing, now: datetime) -> None:
    """Refuse a correction of a filing that is not in force now (R-D6)."""
    if not in_force(filing, now):
        expired = filing.status is FilingStatus.APPROVED and filing.expires_at is not None \
            and filing.expires_at <= now
        status = FilingStatus.EXPIRED.value if expired else filing.status.value
        raise Conflict("filing_not_correctable", "status", status=status)


async def start(user: User, filing_id: int) -> Filing:
    """Open the correction of the user's own filing in force: a prefilled draft (R-D6)."""
    return await renewals.open_successor(user, filing_id, check_correctable, NOTHING_FRESH,
                                         ("correction_in_progress", "filing_id"),
                                         corrects_id=filing_id)


async def on_submit(deps: Deps, filing: Filing) -> dict[str, Any]:
    """The changed fields of a correction at submission; refused when nothing changed or
    the filing it corrects is no longer in force (R-D6)."""
    old = await Filing.get(id=filing.corrects_id)  # type: ignore[attr-defined]
    check_correctable(old, clock.now())
    changed = await renewal_changes.changes(deps, old, filing, NOTHING_FRESH)
    if not changed:
        raise FieldError("correction_unchanged", "corrects_id", filing_id=old.id)
    return {"renewal_changes": changed}


async def validity(filing: Filing, now: datetime) -> tuple[datetime, datetime]:
    """A correction is in force from its approval until the old expiry (R-D6); refused
    when the old filing lapsed, was revoked or was superseded meanwhile."""
    old = await Filing.get(id=filing.corrects_id)  # type: ignore[attr-defined]
    check_correctable(old, now)
    assert old.expires_at is not None
    return now, old.expires_at


async def on_approved(filing: Filing) -> None:
    """Supersede the corrected filing and move its unit list entries (R-D6). In the
    approval's transaction: a filing changed meanwhile undoes the approval."""
    old_id = filing.corrects_id  # type: ignore[attr-defined]
    superseded = await Filing.filter(id=old_id, status=FilingStatus.APPROVED) \
        .update(status=FilingStatus.SUPERSEDED)
    if not superseded:
        raise Conflict("filing_not_correctable", "status", status="changed")
    await renewals.carry_memberships(old_id, filing)


async def corrected_by(filing: Filing) -> int | None:
    """For a superseded filing, the correction that took its place (history linked both
    ways); None otherwise."""
    if filing.status is not FilingStatus.SUPERSEDED:
        return None
    found = await Filing.filter(corrects_id=filing.id, approved_at__isnull=False) \
        .order_by("-id").only("id").first()
    return found.id if found else None
