"""The duty ledger by month (R-G6, R-U7; gate migration 0008): on PostgreSQL each entry lands
in its month's partition, the sweep creates the months ahead, and retention drops whole
months only once older than the operator's period and never under 6 months. SQLite keeps
one table and both sweeps do nothing there."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from tortoise import connections

from borderpass.services import clock
from borderpass.services.gate import ledger, ledger_partitions
from borderpass.services.gate.ledger_partitions import month_name, month_start
from borderpass.services.sweeps import retention_sweep

pytestmark = pytest.mark.usefixtures("db")


def _postgres() -> bool:
    return bool(connections.get("default").capabilities.dialect == "postgres")


async def _where(event_id: str) -> list[str]:
    """The partitions holding the ledger rows of ``event_id``."""
    _, rows = await connections.get("default").execute_query(
        "SELECT tableoid::regclass::text AS part FROM gate_ledger WHERE event_id = $1",
        [event_id])
    return [r["part"] for r in rows]


async def _entries(start: datetime, end: datetime) -> list[str]:
    return [e.event_id async for page in ledger.rows(start, end) for e in page]


async def test_sqlite_keeps_one_table_and_the_sweeps_do_nothing() -> None:
    if _postgres():
        pytest.skip("SQLite only")
    await ledger.record(ledger.entry("scan", "L1", event_id="s1"))
    assert await ledger_partitions.partitions() == []
    assert await ledger_partitions.ensure_ahead() == 0
    assert await ledger_partitions.drop_expired(200) == []
    assert await ledger.count(clock.now() - timedelta(days=1), clock.now() + timedelta(1)) == 1


async def test_entries_land_in_their_month_created_ahead_by_the_sweep() -> None:
    if not _postgres():
        pytest.skip("PostgreSQL only: partitions")
    parts = await ledger_partitions.partitions()
    names = {p.name for p in parts}
    assert "gate_ledger_legacy" in names and "gate_ledger_default" in names
    future = datetime.now(UTC).replace(microsecond=0) + timedelta(days=800)
    clock.freeze(future)
    created = await ledger_partitions.ensure_ahead()
    assert created == ledger_partitions.AHEAD + 1
    assert await ledger_partitions.ensure_ahead() == 0  # idempotent
    await ledger.record(ledger.entry("scan", "L1", event_id="later"))
    assert await _where("later") == [month_name(month_start(future))]
    # an entry of a month nobody created still gets written (the default partition)
    await ledger.record(ledger.entry("scan", "L1", at=future + timedelta(days=400),
                                     event_id="stray"))
    assert await _where("stray") == ["gate_ledger_default"]
    # the report reads across the partitions
    assert await _entries(future - timedelta(days=1), future + timedelta(days=500)) == [
        "later", "stray"]


async def test_retention_drops_only_months_older_than_the_period_and_six_months(
        deps) -> None:  # type: ignore[no-untyped-def]
    if not _postgres():
        pytest.skip("PostgreSQL only: partitions")
    base = month_start(datetime.now(UTC), 40)  # years ahead: months of this test only
    clock.freeze(base)
    await ledger_partitions.ensure_ahead(months=9)
    for add in range(10):
        await ledger.record(ledger.entry("scan", "L1", at=month_start(base, add) +
                                         timedelta(days=3), event_id=f"m{add}"))
    # ten months later: m0 ended 9 months ago … m9 ended at the start of this month
    clock.freeze(month_start(base, 10) + timedelta(days=1))
    kept_all = await retention_sweep(deps)  # ledger_keep_days 0: the operator keeps all
    assert kept_all["ledger_months"] == 0
    for add in range(10):
        assert await _where(f"m{add}"), add

    # 30 days asked, 183 applied (R-U7): months ended more than 183 days ago go, whole
    short = dataclasses.replace(deps, ledger_keep_days=30)
    counts = await retention_sweep(short)
    cutoff = clock.now() - timedelta(days=183)
    gone = [add for add in range(10) if month_start(base, add + 1) <= cutoff]
    assert gone and len(gone) < 10
    assert counts["ledger_months"] >= len(gone)
    for add in range(10):
        assert bool(await _where(f"m{add}")) == (add not in gone), add
    names = {p.name for p in await ledger_partitions.partitions()}
    assert month_name(month_start(base, gone[-1])) not in names
    assert "gate_ledger_default" in names
    assert await retention_sweep(short) == dict.fromkeys(counts, 0) | {"ledger_months": 0}
    # the next scan still writes, in its month once the sweep has created it
    assert await ledger_partitions.ensure_ahead() == ledger_partitions.AHEAD + 1
    await ledger.record(ledger.entry("scan", "L1", event_id="now"))
    assert await _where("now") == [month_name(month_start(clock.now()))]
