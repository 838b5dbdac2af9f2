"""Review claims (R-F11): a reviewer who opens a submitted filing holds it for 15 minutes.

The claim is a row in the database (the record), one per filing. Other reviewers see who
holds which filing; they cannot decide a filing held by someone else until the claim lapses
or they take it over explicitly, which is audited. A decision ends the claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from borderpass.adapters import constraints
from borderpass.core.errors import Conflict
from borderpass.models import Filing, User
from borderpass.models.claims import ReviewClaim
from borderpass.models.enums import FilingStatus, Role
from borderpass.services import audit, clock
from borderpass.services.identity.access import require_role

CLAIM_SECONDS = 15 * 60


_ONE_CLAIM = f"{ReviewClaim._meta.db_table}_filing_id_key"  # one claim per filing

@dataclass(frozen=True)
class Holder:
    """Who holds a filing, until when, and whether that is the viewer."""

    filing_id: int
    user_id: int
    name: str
    expires_at: datetime
    mine: bool


def _name(user: User) -> str:
    return (user.display_name or user.username or f"#{user.id}")[:100]


def _holder(claim: ReviewClaim, viewer: User) -> Holder:
    return Holder(claim.filing_id, claim.user_id, claim.holder, claim.expires_at,
                  claim.user_id == viewer.id)


async def claim(reviewer: User, filing: Filing, take_over: bool = False) -> Holder | None:
    """Hold ``filing`` for ``reviewer`` for 15 minutes (renewed on each call), unless another
    reviewer holds it and ``take_over`` is not asked: then that holder is returned. Filings
    not awaiting review are never claimed (None)."""
    require_role(reviewer, Role.REVIEWER, Role.ADMIN)
    if filing.status is not FilingStatus.SUBMITTED:
        return None
    for _attempt in range(3):  # a concurrent twin may win a step; look again
        now = clock.now()
        until = now + timedelta(seconds=CLAIM_SECONDS)
        current = await ReviewClaim.get_or_none(filing_id=filing.id)
        if current is None:
            try:
                made = await ReviewClaim.create(filing_id=filing.id, user_id=reviewer.id,
                                                holder=_name(reviewer), claimed_at=now,
                                                expires_at=until)
            except IntegrityError as exc:
                if await constraints.violates(exc, _ONE_CLAIM):
                    continue  # a twin claimed it first: look again
                raise
            return _holder(made, reviewer)
        live_other = current.user_id != reviewer.id and current.expires_at > now
        if live_other and not take_over:
            return _holder(current, reviewer)
        claimed_at = current.claimed_at if current.user_id == reviewer.id else now
        changed = await ReviewClaim.filter(
            id=current.id, user_id=current.user_id, expires_at=current.expires_at).update(
            user_id=reviewer.id, holder=_name(reviewer), claimed_at=claimed_at,
            expires_at=until)
        if not changed:
            continue
        if live_other:
            await audit.record(reviewer, "claim_takeover", "filing", filing.id,
                               from_user_id=current.user_id, from_holder=current.holder)
        current.user_id, current.holder, current.expires_at = reviewer.id, _name(reviewer), until
        return _holder(current, reviewer)
    raise Conflict("conflict", "id")


async def holders(viewer: User, filing_ids: list[int]) -> dict[int, Holder]:
    """The live claims of these filings, by filing id."""
    if not filing_ids:
        return {}
    rows = await ReviewClaim.filter(filing_id__in=filing_ids, expires_at__gt=clock.now())
    return {c.filing_id: _holder(c, viewer) for c in rows}


async def held_by_others(viewer: User) -> set[int]:
    """Ids of the filings someone else holds now (to skip when picking the next one)."""
    rows = await ReviewClaim.filter(expires_at__gt=clock.now()).exclude(user_id=viewer.id)
    return {c.filing_id for c in rows}


async def settle(reviewer: User, filing_id: int) -> None:
    """Before a decision, inside its transaction: refuse it when another reviewer holds the
    filing (R-F11; 409 ``filing_claimed`` naming the holder), else end any claim on it."""
    current = await ReviewClaim.get_or_none(filing_id=filing_id)
    if current is None:
        return
    if current.user_id != reviewer.id and current.expires_at > clock.now():
        raise Conflict("filing_claimed", "id", holder=current.holder)
    await ReviewClaim.filter(id=current.id).delete()


async def release(reviewer: User, filing_id: int) -> bool:
    """Give up one's own claim (the filing goes back to the queue for others)."""
    return bool(await ReviewClaim.filter(filing_id=filing_id, user_id=reviewer.id).delete())
