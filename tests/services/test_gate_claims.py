"""The gate's one idempotency mechanism (issue 24 item 3): a lane event claimed by
``(lane, event_id)``; a twin whose claim commits while a batch holds its release makes the
batch undo everything and answer with the twin's answer (R-G2, R-G6)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from gate_helpers import declared, issued, lane, qr
from tortoise import connections

from borderpass.models import Declaration, Trip
from borderpass.models.enums import DeclarationStatus
from borderpass.models.gate import Crossing, LaneEvent, LedgerEntry
from borderpass.services import clock
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.gate.gate_decisions import Scan, decide
from borderpass.services.gate.lane_events import Command

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture
def gate(deps) -> GateDeps:
    return GateDeps.build(deps)


async def test_a_twin_claiming_first_undoes_the_batch_that_took_the_release(gate) -> None:
    # A twin in another process claims the event (uncommitted) before this batch's claim:
    # the batch takes the release, waits on the twin's claim, finds it lost, and is undone
    # whole (crossing, trip, ledger, command, used mark); run again, it answers the twin's.
    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip("the embedded back end runs one transaction at a time")
    clock.freeze(T0)
    declaration = await declared(gate)
    text = qr(await issued(gate, declaration))
    out, _ = await lane(gate)
    twin_answer = Command(out.code, "s1:cmd", "deny", "pass_used", T0.isoformat(),
                          {"in_reply_to": "s1"}).dumps()
    db = connections.get("default")
    other = await asyncpg.connect(host=db.host, port=db.port, user=db.user,  # type: ignore
                                  password=db.password, database=db.database)  # type: ignore
    try:  # the twin's process: its own connection
        twin = other.transaction()
        await twin.start()
        await other.execute(
            "INSERT INTO gate_lane_events (lane_code, event_id, kind, at, answer) "
            "VALUES ($1, 's1', 'scan', $2, $3)", out.code, T0, twin_answer)
        scan = asyncio.get_running_loop().create_task(decide(gate, out, Scan("s1", text)))
        for _ in range(3000):  # until the batch waits on the twin's claim row (a busy host
            waiting = await other.fetchval(  # may take seconds to get there)
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")  # (its query
            # text, as pg_stat_activity reports it, may still be the state read's)
            if waiting or scan.done():
                break
            await asyncio.sleep(0.01)
        assert waiting, scan.result() if scan.done() else "the batch never reached the claim"
        await twin.commit()
        decision = await scan
    finally:
        await other.close()
    assert (decision.action, decision.reason) == ("deny", "pass_used")
    assert not await Crossing.exists() and not await Trip.exists()
    assert not await LedgerEntry.filter(event_id="s1").exists()
    assert (await Declaration.get(id=declaration.id)).status is DeclarationStatus.APPROVED
    assert await LaneEvent.filter(event_id="s1").count() == 1
