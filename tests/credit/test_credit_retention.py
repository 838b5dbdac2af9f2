"""Credit events past their retention are deleted by the retention sweep (R-D4, R-P2).

Each party's story is written as events at their real dates; the sweep deletes only what
no longer bears on any class, never what is still in force, and no class changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.queryset import QuerySet

from borderpass.models.credit import CreditEvent, CreditRecord
from borderpass.services import clock
from borderpass.services.credit import events, expiry, record_event, rules
from borderpass.services.ports import Deps
from borderpass.services.privacy import retention

pytestmark = pytest.mark.usefixtures("db")
NOW = datetime(2031, 6, 1, 2, 0, tzinfo=UTC)
YEAR = timedelta(days=365)


async def _event(party: str, kind: str, ref: str, ago: timedelta, *,
                 lifts: str | None = None, until_ago: timedelta | None = None) -> None:
    await record_event(party_kind="person", party_key=party, kind=kind, source=f"test:{party}",
                       ref=ref, occurred_at=NOW - ago, lifts=lifts,
                       until=None if until_ago is None else NOW - until_ago)


async def _refs(party: str) -> set[str]:
    return set(await CreditEvent.filter(party_key=party).values_list("ref", flat=True))


async def _classes() -> dict[str, tuple[str, str]]:
    return {r.party_key: (r.credit_class, r.rule) for r in await CreditRecord.all()}


async def _story() -> None:
    """Five parties, each with events on both sides of the three-year line."""
    for i in range(3):  # old on-time trips go; this year's stay and keep the class good
        await _event("good", rules.CROSSING_ON_TIME, f"old:{i}", 4 * YEAR + timedelta(days=i))
        await _event("good", rules.CROSSING_ON_TIME, f"new:{i}", timedelta(days=10 + i))
    await _event("listed", rules.OVERSTAY, "o", 6 * YEAR)  # never lifted: in force
    await _event("lifted", rules.OVERSTAY, "o", 6 * YEAR)
    await _event("lifted", rules.OVERSTAY_LIFTED, "l", 4 * YEAR, lifts="o")
    await _event("recent_lift", rules.OVERSTAY, "o", 6 * YEAR)
    await _event("recent_lift", rules.OVERSTAY_LIFTED, "l", 2 * YEAR, lifts="o")
    await _event("term", rules.DISHONESTY, "long", 8 * YEAR, until_ago=2 * YEAR)
    await _event("term", rules.DISHONESTY, "short", 8 * YEAR, until_ago=4 * YEAR)


async def test_only_events_that_no_longer_bear_on_a_class_go(deps: Deps) -> None:  # R-D4
    clock.freeze(NOW)
    await _story()
    before = await _classes()
    counts = await retention.sweep(deps)
    assert counts["credit_events"] == 3 + 2 + 1
    assert await _refs("good") == {"new:0", "new:1", "new:2"}
    assert await _refs("listed") == {"o"}  # however old, still in force (R-P2.2)
    assert await _refs("lifted") == set()  # the listing and its lift go together
    assert await _refs("recent_lift") == {"o", "l"}  # lifted two years ago: kept
    assert await _refs("term") == {"long"}  # its term ended two years ago: kept
    after = await _classes()
    assert after == {k: v for k, v in before.items() if k != "lifted"}  # no class changed
    assert not await CreditRecord.filter(party_key="lifted").exists()  # nothing left of it
    assert (await retention.sweep(deps))["credit_events"] == 0  # idempotent


async def test_a_lift_never_goes_before_the_listing_it_ends(deps: Deps) -> None:
    clock.freeze(NOW)
    await _event("p", rules.OVERSTAY, "o", 3 * YEAR + timedelta(days=200))
    await _event("p", rules.OVERSTAY_LIFTED, "l", 3 * YEAR + timedelta(days=100), lifts="o")
    await _event("p", rules.OVERSTAY, "o2", 5 * YEAR)  # a later listing of the same party,
    await _event("p", rules.OVERSTAY_LIFTED, "l2", 2 * YEAR, lifts="o2")  # lifted recently
    assert await expiry.sweep_expired(NOW) == 2
    assert await _refs("p") == {"o2", "l2"}


async def test_twin_sweeps_delete_each_event_once(deps: Deps) -> None:
    clock.freeze(NOW)
    await _story()
    runs = await asyncio.gather(expiry.sweep_expired(NOW), expiry.sweep_expired(NOW))
    assert sum(runs) == 6
    assert await CreditEvent.all().count() == 13 - 6


def test_deleting_never_changes_a_class() -> None:
    assert expiry.KEEP > rules.WINDOW  # an expired event is outside the rules' window


class Crash(Exception):
    """The sweep's process dying in the middle of a party."""


async def _three_parties() -> dict[str, set[str]]:
    """Three parties, swept in this order (by key), each with events past retention and
    some kept; what each keeps once swept."""
    for i in range(2):  # old on-time trips go, this year's stay
        await _event("a-first", rules.CROSSING_ON_TIME, f"old:{i}", 4 * YEAR + timedelta(days=i))
    await _event("a-first", rules.CROSSING_ON_TIME, "new", timedelta(days=10))
    await _event("b-second", rules.OVERSTAY, "o", 6 * YEAR)  # lifted long ago: both go
    await _event("b-second", rules.OVERSTAY_LIFTED, "l", 4 * YEAR, lifts="o")
    await _event("b-second", rules.CROSSING_ON_TIME, "old", 5 * YEAR)
    await _event("b-second", rules.CROSSING_ON_TIME, "new", timedelta(days=20))
    await _event("c-third", rules.OVERSTAY, "o", 6 * YEAR)  # everything goes, record too
    await _event("c-third", rules.OVERSTAY_LIFTED, "l", 4 * YEAR, lifts="o")
    return {"a-first": {"new"}, "b-second": {"new"}, "c-third": set()}


async def _records() -> dict[str, tuple[object, ...]]:
    """Each party's whole derived record."""
    return {r.party_key: (r.credit_class, r.rule, r.rule_version, r.cause_event_id,
                          r.reasons, r.recheck_at) for r in await CreditRecord.all()}


async def _ids() -> dict[str, set[int]]:
    """Each party's event ids."""
    found: dict[str, set[int]] = {}
    for party, event_id in await CreditEvent.all().values_list("party_key", "id"):
        found.setdefault(str(party), set()).add(int(event_id))
    return found


def _crash_at_delete(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second party's DELETE of its expired events raises."""
    real = QuerySet.delete
    seen: list[object] = []

    def delete(self: QuerySet[Any]) -> Any:
        if self.model is CreditEvent:
            seen.append(self)
            if len(seen) == 2:
                raise Crash("during the second party's delete")
        return real(self)

    monkeypatch.setattr(QuerySet, "delete", delete)


def _crash_after_delete(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second party's sweep dies after its DELETE, before its transaction commits."""
    real = events.derive

    async def derive(record: CreditRecord) -> bool:
        if record.party_key == "b-second":
            raise Crash("after the second party's delete")
        return await real(record)

    monkeypatch.setattr(expiry, "derive", derive)


@pytest.mark.parametrize("crash", [_crash_at_delete, _crash_after_delete])
async def test_a_crash_between_parties_leaves_each_whole(
        deps: Deps, monkeypatch: pytest.MonkeyPatch,
        crash: Callable[[pytest.MonkeyPatch], None]) -> None:
    """R-D4: each party is swept in its own transaction, so a sweep that dies in the
    second party leaves the first pruned whole and the second (and the rest) untouched;
    no class changes (R-P2.7); a rerun finishes the job, deleting each event once."""
    clock.freeze(NOW)
    keeps = await _three_parties()
    before, ids, records = await _classes(), await _ids(), await _records()
    with monkeypatch.context() as patched, pytest.raises(Crash):
        crash(patched)
        await expiry.sweep_expired(NOW)

    assert await _refs("a-first") == keeps["a-first"]  # pruned whole, and committed
    after_crash = await _ids()
    assert after_crash["b-second"] == ids["b-second"]  # untouched: nothing half-deleted
    assert after_crash["c-third"] == ids["c-third"]  # never reached
    now_records = await _records()
    assert {k: now_records[k] for k in ("b-second", "c-third")} == \
        {k: records[k] for k in ("b-second", "c-third")}
    assert await _classes() == before  # no class changed

    left = sum(len(after_crash[p]) - len(keeps[p]) for p in ("b-second", "c-third"))
    assert left == 3 + 2
    assert await expiry.sweep_expired(NOW) == left  # the rest, and nothing twice
    assert await expiry.sweep_expired(NOW) == 0
    for party, kept in keeps.items():
        assert await _refs(party) == kept
    assert await _classes() == {k: v for k, v in before.items() if k != "c-third"}
    assert not await CreditRecord.filter(party_key="c-third").exists()
