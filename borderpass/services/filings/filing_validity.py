"""Which filing a crossing rests on, when declared and at the lane (R-F3, R-F7).

A declaration uses the filing in force at its planned time: the filing named, or across a
renewal the other one of the pair (planned before the old expiry: the old filing; after
it: the approved renewal). A crossing planned after the expiry with no renewal to carry
it is refused when declared (``filing_expires_before``), not at the lane. At the lane,
the pass's own filing must be unexpired and unrevoked at the scan, or renewed: the state
read carries three more columns (``STATE_COLUMNS``) and ``lane_reason`` judges them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from borderpass.core.errors import BorderPassError, Conflict, FieldError
from borderpass.models import Filing
from borderpass.models.enums import FilingStatus
from borderpass.services.filings import filing_rows, renewals


@dataclass(frozen=True)
class InForce:
    """The filing a declaration rests on, its driver there, and until when the vehicle is
    covered (its expiry, or its approved renewal's): the trip deadline's bound (R-F8)."""

    filing: Filing
    driver_id: int
    covered_until: datetime


def unexpired(filing: Filing, now: datetime) -> bool:
    """Approved and not expired ``now``: the filings a crossing may be declared on (R-F7)."""
    return filing.status is FilingStatus.APPROVED and filing.expires_at is not None \
        and now < filing.expires_at


async def declarable(applicant_id: int, now: datetime, limit: int = 20) -> list[Filing]:
    """The applicant's approved, unexpired filings, newest first: what a door offers to
    declare on (R-F7; :func:`unexpired` as one query)."""
    return await Filing.filter(applicant_id=applicant_id, status=FilingStatus.APPROVED,
                               expires_at__gt=now).order_by("-id").limit(limit)


def _covers(filing: Filing, at: datetime, now: datetime) -> bool:
    """Approved, in force at ``at`` and not expired ``now``."""
    if not unexpired(filing, now):
        return False
    assert filing.expires_at is not None
    started = filing.starts_at is None or filing.starts_at <= at
    return started and at < filing.expires_at


async def for_declaration(filing: Filing, driver: dict[str, Any],
                          renewed_until: datetime | None, planned_at: datetime,
                          now: datetime) -> InForce:
    """The filing in force at ``planned_at`` for a declaration by ``driver`` of ``filing``
    (R-F3, R-F7); ``renewed_until`` is its approved renewal's expiry, read with it."""
    covered = max(filing.expires_at or now, renewed_until or now)
    if _covers(filing, planned_at, now):  # the usual case: no more reads
        return InForce(filing, int(driver["id"]), covered)
    other = await _other_of_pair(filing, renewed_until, planned_at)
    if other is not None and _covers(other[0], planned_at, now):
        moved = next((d for d in other[1].drivers if d["id_key"] == driver["id_key"]), None)
        if moved is None:
            raise FieldError("driver_not_on_filing", "driver_id")
        until = max(covered, other[0].expires_at or now)
        return InForce(other[0], int(moved["id"]), until)
    raise _refusal(filing, planned_at, now)


async def _other_of_pair(filing: Filing, renewed_until: datetime | None,
                         planned_at: datetime) -> tuple[Filing, filing_rows.Parts] | None:
    """The renewal of ``filing`` (planned after its expiry) or the filing it renews
    (planned before its start), with its drivers; None when there is none."""
    if renewed_until is not None and filing.expires_at and planned_at >= filing.expires_at:
        renewal = await Filing.filter(renews_id=filing.id, status=FilingStatus.APPROVED) \
            .order_by("-id").only("id").first()
        target = renewal.id if renewal else None
    elif filing.starts_at is not None and planned_at < filing.starts_at:
        target = filing.renews_id  # type: ignore[attr-defined]
    else:
        target = None
    return await filing_rows.load(target) if target is not None else None


def _refusal(filing: Filing, planned_at: datetime, now: datetime) -> BorderPassError:
    """Why no filing of the pair carries a crossing at ``planned_at``."""
    expires = filing.expires_at
    if filing.status is not FilingStatus.APPROVED or expires is None or expires <= now:
        return Conflict("filing_not_approved", "filing_id", status=filing.status.value)  # R-F7
    if planned_at >= expires:  # R-F3: renew first, or cross before the expiry
        return FieldError("filing_expires_before", "planned_at", expires_at=expires.isoformat())
    starts = filing.starts_at or planned_at
    return FieldError("filing_not_yet_valid", "planned_at", starts_at=starts.isoformat())


def _correction_revoked_sql(filing_column: str) -> str:
    """SQL counting the revoked corrections of the filing in ``filing_column`` (R-D6): a
    superseded filing's passes stop when the correction that took its place is revoked."""
    table = Filing._meta.db_table
    return (f"(SELECT count(*) FROM {table} c WHERE c.corrects_id = {filing_column}"
            f" AND c.status = '{FilingStatus.REVOKED.value}')")


# The lane's state read (gate_decisions._states_sql, aliases f for the declaration's filing)
STATE_COLUMNS = (f"f.status AS filing_status, f.expires_at AS filing_expires, "
                 f"{renewals.renewed_until_sql('f.id')} AS filing_renewed_until, "
                 f"{_correction_revoked_sql('f.id')} AS filing_correction_revoked")


def lane_reason(row: dict[str, Any], at: datetime) -> str | None:
    """``filing_revoked`` or ``filing_expired`` when the pass's filing no longer carries the
    vehicle at ``at`` (revoked, or expired with no approved renewal in force), else None.
    A filing superseded by its correction (R-D6) still carries the passes declared on it
    until its expiry, unless the correction was revoked."""
    if row["filing_status"] == FilingStatus.REVOKED.value:
        return "filing_revoked"
    if row["filing_status"] == FilingStatus.SUPERSEDED.value and \
            int(row.get("filing_correction_revoked") or 0):
        return "filing_revoked"
    for key in ("filing_expires", "filing_renewed_until"):  # an expired one was approved
        until = renewals.moment(row[key])
        if until is not None and at < until:
            return None
    return "filing_expired"
