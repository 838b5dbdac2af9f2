"""A lane event acted on once: claimed by ``(lane, event_id)`` in the same transaction as
what it does, and answered the same on every retry (issue 17; DESIGN 3).

The claim is a row in ``gate_lane_events`` (unique index ``gate_lane_events_once``). A twin
sent at once to another process waits on that row until the first commits, then reads its
answer; if the action fails, the transaction rolls back and the claim with it, so a retry
acts afresh.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tortoise import connections
from tortoise.transactions import in_transaction

from borderpass.models.gate import LaneEvent
from borderpass.services import clock, gate_record


async def once(lane_code: str, event_id: str, kind: str,
               act: Callable[[], Awaitable[str]]) -> str:
    """The answer of the event: ``act()``'s the first time, the stored one after."""
    async with in_transaction() as tx:
        claimed = await gate_record.claim_events(
            tx, [(lane_code, event_id, kind, clock.now(), "")])
        if claimed:
            answer = await act()
            await LaneEvent.filter(lane_code=lane_code, event_id=event_id) \
                .using_db(tx).update(answer=answer)
            return answer
    stored = await gate_record.answers(connections.get("default"), [(lane_code, event_id)])
    return stored.get((lane_code, event_id), "")
