"""Credit retention (R-D4): an event that no longer bears on any class is kept ``KEEP``
after it stopped bearing, then deleted; a record left with no event goes with it.

An event stops bearing when it leaves the rules' window (R-P2.3, R-P2.4) and is no longer
in force: a listing, lock or violation when it is lifted or released, a dishonesty record
when its term ends or it is lifted. One never lifted stays while it is in force, however
old. ``KEEP`` is longer than the window, so deleting never changes a class; a lift goes
with the event it ends, never before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from borderpass.models.credit import CreditEvent, CreditRecord
from borderpass.services.credit import rules
from borderpass.services.credit.events import derive

KEEP = timedelta(days=3 * 365)  # three years, as a corrected record stays on file


def _ends(events: Sequence[CreditEvent]) -> dict[int, datetime | None]:
    """When each event stopped bearing on the class (None: it still may, with no end)."""
    lifted = {(e.source, e.lifts): e.occurred_at for e in events
              if e.kind in rules.ENDS and e.lifts}
    ends: dict[int, datetime | None] = {}
    for e in events:
        if e.kind in rules.LASTING:
            lift = lifted.get((e.source, e.ref))
            if lift is None and e.until is None:
                ends[e.id] = None  # in force until someone lifts it
            else:
                ends[e.id] = max(t for t in (e.occurred_at, e.until, lift) if t is not None)
        elif e.kind not in rules.ENDS:
            ends[e.id] = e.occurred_at
    by_ref = {(e.source, e.ref): e.id for e in events}
    for e in events:
        if e.kind in rules.ENDS:  # a lift lasts as long as what it lifted
            ended = by_ref.get((e.source, e.lifts or ""))
            ends[e.id] = ends[ended] if ended is not None else e.occurred_at
    return ends


def expired(events: Sequence[CreditEvent], now: datetime) -> list[int]:
    """The ids of the events past their retention at ``now``."""
    cutoff = now - KEEP
    return [i for i, end in _ends(events).items() if end is not None and end < cutoff]


async def sweep_expired(now: datetime, batch: int = 500) -> int:
    """Delete the events past their retention, party by party, each in one transaction
    with the party's record locked; how many events were deleted. Idempotent."""
    deleted, after = 0, ""
    while True:
        keys = await CreditEvent.filter(
            occurred_at__lt=now - KEEP, party_key__gt=after).order_by("party_key") \
            .distinct().limit(batch).values_list("party_key", flat=True)
        for key in keys:
            deleted += await _expire_party(str(key), now)
        if len(keys) < batch:
            return deleted
        after = str(keys[-1])


async def _expire_party(party_key: str, now: datetime) -> int:
    async with in_transaction():
        record = await CreditRecord.filter(party_key=party_key).select_for_update() \
            .get_or_none()
        events = await CreditEvent.filter(party_key=party_key)
        doomed = expired(events, now)
        if not doomed:
            return 0
        gone = await CreditEvent.filter(id__in=doomed).delete()  # a twin may have been first
        if record is not None:
            if not await CreditEvent.filter(party_key=party_key).exists():
                await record.delete()  # nothing left to say about the party
            else:
                await derive(record)  # the same class; the reasons lose what is gone
        return gone
