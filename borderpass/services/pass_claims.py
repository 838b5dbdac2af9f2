"""A pass's one release (R-G2), claimed atomically in Redis.

The first valid scan of a declaration's pass takes the claim and opens the pole; a later
scan finds it taken and is refused as used. A cancellation takes the same claim first, so
a pass cannot be used and cancelled at the same moment: whichever comes first wins, and the
database follows (the gate marks the declaration used when its ledger is written).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from borderpass.services.ports import KeyValue

CANCELLED = "cancelled"  # the claim's value when a cancellation took it
MIN_KEEP = timedelta(hours=1)
VALID_BEFORE = timedelta(hours=12)  # a pass works from 12 h before the planned crossing …
VALID_AFTER = timedelta(hours=36)  # … to 36 h after it


def used_key(declaration_id: int, direction: str) -> str:
    """The Redis key whose first setter owns the pass's one release (R-G2)."""
    return f"gate:used:{declaration_id}:{direction}"


def keep_seconds(valid_until: datetime, now: datetime) -> int:
    """How long a claim is kept: a day past the end of the pass's window, at least an hour."""
    return int(max(MIN_KEEP, valid_until - now + timedelta(days=1)).total_seconds())


async def holder(kv: KeyValue, declaration_id: int, direction: str) -> str | None:
    """Who took the release: a lane's ``lane|event``, :data:`CANCELLED`, or None."""
    held = await kv.get(used_key(declaration_id, direction))
    return held.decode() if isinstance(held, bytes) else held


async def claim_for_cancel(kv: KeyValue, declaration_id: int, direction: str,
                           planned_at: datetime, now: datetime) -> bool:
    """Take the release so no lane can open for this pass; False if a lane took it first."""
    key = used_key(declaration_id, direction)
    keep = keep_seconds(planned_at + VALID_AFTER, now)
    if await kv.set(key, CANCELLED, ex=keep, nx=True):
        return True
    return await holder(kv, declaration_id, direction) == CANCELLED
