"""The gate's record: lane events, crossings, ledger entries and commands, committed in
PostgreSQL (or SQLite) before any lane is answered (DESIGN 5; R-G2, R-G6).

The events of one loop turn (scans, acks) are written in one transaction (the bridge's
:class:`~borderpass.adapters.batching.Coalescer`), so one commit carries many scans:

1. an event already recorded gets its stored answer (a retry, even after Redis lost all);
2. a release takes the pass's one use: the declaration row is locked while still approved
   (a cancellation updates the same row, so a pass cannot be used and cancelled at once),
   then a crossing is inserted with ON CONFLICT DO NOTHING on ``gate_crossings_one_use``:
   the first valid scan wins on any lane in any process;
3. an ack takes its command out of the outbox (``acked_at``), once;
4. each event is claimed by ``(lane_code, event_id)`` with the answer it gets (a twin in
   another process that claimed it first makes this batch start again);
5. the chosen variant's ledger entries and command, and the used mark, are written;
6. the crossings won open and close their vehicles' trips (R-F7, R-F8), with the driver's
   exit message in the outbox and a flag for an exit while a trip is open
   (:mod:`borderpass.services.crossings.trip_record`);
7. a cleared export vehicle leaving on a driver's pass has its exit recorded with the
   crossing (R-E7): a release and its records are one commit.

Nothing is queued anywhere: the ledger entry exists when the lane is told (no pop, no loss).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from borderpass.core import metrics
from borderpass.models import Declaration, Trip
from borderpass.models.enums import DeclarationStatus, TripStatus
from borderpass.models.export import LicenceVehicle, VehicleExit, VehicleState
from borderpass.models.gate import Crossing, LaneCommand, LaneEvent, LiftStatus, ManualLift
from borderpass.models.notify import Notification
from borderpass.services import clock
from borderpass.services.crossings import trip_record
from borderpass.services.crossings.trip_record import TripFacts
from borderpass.services.gate import gate_events, ledger
from borderpass.services.gate.lane_events import COMPACT_JSON
from borderpass.services.notify import kinds

log = logging.getLogger("borderpass.gate")
ATTEMPTS = 4  # a batch raced by a twin, or a deadlock victim, is run again
Key = gate_events.Key


@dataclass(frozen=True)
class Release:
    """A vehicle let through: a pass's one use when it names a declaration (R-G2)."""

    declaration_id: int | None
    direction: str
    kind: str  # pass | manual_lift | emergency | offline
    port: str
    plate: str = ""
    filing_id: int | None = None
    if_approved: bool = True  # the declaration must still be approved (not cancelled, used)
    trip: TripFacts | None = None  # the vehicle whose trip this crossing opens or closes
    export_vin: str | None = None  # R-E7: a cleared export vehicle's exit, with the crossing


@dataclass
class Variant:
    """What one outcome of an event writes: its answer, ledger entries and command."""

    answer: str
    entries: list[str]
    command: tuple[str, str] | None = None  # (command id, frame text) for the lane's outbox


@dataclass
class Event:
    """One lane event to record once: ``done`` if its release / ack was taken (or it has
    none), ``refused`` if another took the release first or the ack's command is unknown."""

    lane: str
    event_id: str
    kind: str
    at: datetime
    done: Variant
    refused: Variant | None = None
    release: Release | None = None
    acks: str | None = None  # the command id this event acknowledges
    queued: float = field(default_factory=time.monotonic, compare=False)  # ledger lag

    @property
    def key(self) -> Key:
        return (self.lane, self.event_id)


@dataclass(frozen=True)
class Recorded:
    """The answer to send, whether this call recorded it, and whether ``done`` applied."""

    answer: str
    first: bool
    done: bool


class _Raced(Exception):
    """A twin claimed one of our events after we took its release: start again."""


def _marks(tx: BaseDBAsyncClient, count: int, start: int = 1) -> list[str]:
    if tx.capabilities.dialect == "postgres":
        return [f"${n}" for n in range(start, start + count)]
    return ["?"] * count


def _rows(tx: BaseDBAsyncClient, width: int, count: int) -> str:
    marks = _marks(tx, width * count)
    return ", ".join("(" + ", ".join(marks[i * width:(i + 1) * width]) + ")"
                     for i in range(count))


async def _approved(tx: BaseDBAsyncClient, ids: list[int]) -> set[int]:
    """The declarations still approved, locked until commit (a cancellation waits)."""
    if not ids:
        return set()
    lock = " FOR UPDATE" if tx.capabilities.dialect == "postgres" else ""
    rows = await tx.execute_query_dict(
        f"SELECT id FROM {Declaration._meta.db_table} WHERE id IN "
        f"({', '.join(_marks(tx, len(ids)))}) AND status = '{DeclarationStatus.APPROVED.value}'"
        f" ORDER BY id{lock}", ids)
    return {r["id"] for r in rows}


_CROSSING_COLUMNS = ("declaration_id", "direction", "kind", "lane_code", "port", "plate",
                     "filing_id", "event_id", "at")


async def insert_crossings(tx: BaseDBAsyncClient,
                           items: Sequence[tuple[Release, str, str, datetime]]) -> set[Key]:
    """Insert crossings ``(release, lane, event id, at)``; the ``(lane, event id)`` of those
    written. One naming a declaration already used that way is skipped (R-G2: the unique
    index ``gate_crossings_one_use``, as ON CONFLICT DO NOTHING, never an error)."""
    if not items:
        return set()
    ordered = sorted(items, key=lambda i: (i[0].declaration_id or 0, i[0].direction))  # stable
    values = [v for r, lane, eid, at in ordered
              for v in (r.declaration_id, r.direction, r.kind, lane[:40], r.port[:40],
                        r.plate[:16], r.filing_id, eid[:80], at)]
    rows = await tx.execute_query_dict(
        f"INSERT INTO {Crossing._meta.db_table} ({', '.join(_CROSSING_COLUMNS)}) VALUES "
        f"{_rows(tx, len(_CROSSING_COLUMNS), len(ordered))} "
        f"ON CONFLICT (declaration_id, direction) DO NOTHING RETURNING id, lane_code, event_id",
        values)
    won = {(r["lane_code"], r["event_id"]): int(r["id"]) for r in rows}
    flagged = await trip_record.follow(tx, [  # R-F7, R-F8: the trips follow the crossings
        (r.trip, r.direction, r.declaration_id, r.port, lane, eid, at, won[(lane[:40], eid[:80])],
         r.kind) for r, lane, eid, at in ordered
        if r.trip is not None and (lane[:40], eid[:80]) in won])
    await ledger.write([trip_flag(f, lane, eid, at, kind)
                        for f, _, _, _, lane, eid, at, _, kind in flagged], tx)
    return set(won)


def trip_flag(trip: TripFacts, lane: str, event_id: str, at: datetime, crossing_kind: str) -> str:
    """The ledger entry of an exit crossing while the vehicle's trip is open (flagged)."""
    return ledger.entry("double_exit", lane, at=at, event_id=f"{event_id}:trip"[:64],
                        plate=trip.plate, outcome="recorded", reason="trip_open",
                        flagged=True, detail={"vin": trip.vin, "crossing": crossing_kind,
                                              "filing_id": trip.filing_id})


async def _take_releases(tx: BaseDBAsyncClient, events: list[Event]) -> set[Key]:
    wanted = [e for e in events if e.release is not None]
    if not wanted:
        return set()
    approved = await _approved(tx, sorted({e.release.declaration_id for e in wanted
                                           if e.release and e.release.declaration_id
                                           and e.release.if_approved}))
    allowed = [(e.release, e.lane, e.event_id, e.at) for e in wanted if e.release
               and (not e.release.if_approved or e.release.declaration_id is None
                    or e.release.declaration_id in approved)]
    won = await insert_crossings(tx, allowed)
    await _export_exits(tx, [(e.release, e.at) for e in wanted if e.release
                             and e.release.export_vin and (e.lane[:40], e.event_id[:80]) in won])
    return won


async def _export_exits(tx: BaseDBAsyncClient, items: list[tuple[Release, datetime]]) -> None:
    """R-E7: the exits of cleared export vehicles that crossed on a driver's pass, in the
    crossing's transaction; one per vehicle (unique), none before its clearance."""
    for release, at in items:
        row = await LicenceVehicle.filter(live_vin=release.export_vin,
                                          state=VehicleState.CLEARED).using_db(tx).first()
        if row is None or (row.cleared_at is not None and at < row.cleared_at) \
                or await VehicleExit.filter(vehicle_id=row.id).using_db(tx).exists():
            continue
        await VehicleExit.create(vehicle_id=row.id, vin=row.vin, exited_at=at, source="gate",
                                 port=release.port[:40], using_db=tx)


async def _take_acks(tx: BaseDBAsyncClient, events: list[Event], at: datetime) -> set[Key]:
    """Take acknowledged commands out of the outbox; the events whose command was pending."""
    wanted = [e for e in events if e.acks]
    if not wanted:
        return set()
    rows = await tx.execute_query_dict(
        f"UPDATE {LaneCommand._meta.db_table} SET acked_at = {_marks(tx, 1)[0]} "
        f"WHERE acked_at IS NULL AND (lane_code, command_id) IN "
        f"({_rows_from(tx, 2, len(wanted), 2)}) RETURNING lane_code, command_id",
        [at, *[v for e in wanted for v in (e.lane, e.acks)]])
    taken = {(r["lane_code"], r["command_id"]) for r in rows}
    known: set[Key] = set()
    for e in wanted:  # two acks of one command in one batch: the first is the known one
        if (e.lane, e.acks) in taken:
            taken.discard((e.lane, str(e.acks)))
            known.add(e.key)
    return known


def _rows_from(tx: BaseDBAsyncClient, width: int, count: int, start: int) -> str:
    marks = _marks(tx, width * count, start)
    return ", ".join("(" + ", ".join(marks[i * width:(i + 1) * width]) + ")"
                     for i in range(count))


async def enqueue(tx: BaseDBAsyncClient, commands: Sequence[tuple[str, str, str]],
                  at: datetime) -> None:
    """Put commands ``(lane, command id, frame)`` in the lanes' outbox (once per id)."""
    if not commands:
        return
    await tx.execute_query(
        f"INSERT INTO {LaneCommand._meta.db_table} (lane_code, command_id, frame, at) VALUES "
        f"{_rows(tx, 4, len(commands))} ON CONFLICT (lane_code, command_id) DO NOTHING",
        [v for lane, cid, frame in commands for v in (lane, cid, frame, at)])


async def lifts_executed(tx: BaseDBAsyncClient, command_ids: Sequence[str],
                         at: datetime) -> None:
    """The approved manual lifts whose open command the lane acknowledged are executed
    (R-G4), in the ack's transaction."""
    ids = [int(c[5:]) for c in command_ids if c.startswith("lift-") and c[5:].isdigit()
           and len(c) <= 14]
    if ids:
        await ManualLift.filter(id__in=ids, status=LiftStatus.APPROVED).using_db(tx).update(
            status=LiftStatus.EXECUTED, executed_at=at)


async def mark_used(tx: BaseDBAsyncClient, ids: Sequence[int]) -> None:
    """The declarations whose pass let a vehicle through are used (R-G2)."""
    if ids:
        await tx.execute_query(
            f"UPDATE {Declaration._meta.db_table} SET status = "
            f"'{DeclarationStatus.USED.value}' WHERE status = "
            f"'{DeclarationStatus.APPROVED.value}' AND id IN ({', '.join(_marks(tx, len(ids)))})",
            list(ids))


async def _attempt(events: list[Event], at: datetime) -> tuple[dict[Key, str], set[Key],
                                                                 set[Key]]:
    """One transaction; the answers by event, the events written, and those ``done``."""
    unique = first_of_twins(events)
    async with in_transaction() as tx:
        found = await gate_events.answers(tx, [e.key for e in unique])
        fresh = [e for e in unique if e.key not in found]
        won = await _take_releases(tx, fresh)
        known = await _take_acks(tx, fresh, at)
        done = {e.key for e in fresh if _is_done(e, won, known)}
        chosen = {e.key: e.done if e.key in done else e.refused for e in fresh}
        claimed = await gate_events.claim(tx, [(e.lane, e.event_id, e.kind, e.at,
                                           chosen[e.key].answer)  # type: ignore[union-attr]
                                          for e in fresh])
        if {e.key for e in fresh} - claimed & (won | known):
            raise _Raced
        variants = [(e, chosen[e.key]) for e in fresh if e.key in claimed]
        await ledger.write([t for _, v in variants if v for t in v.entries], tx)
        await enqueue(tx, [(e.lane, *v.command) for e, v in variants if v and v.command], at)
        await lifts_executed(tx, [str(e.acks) for e in fresh if e.key in known], at)
        await mark_used(tx, sorted({e.release.declaration_id for e in fresh
                                    if e.key in won and e.release
                                    and e.release.declaration_id}))
        for e, v in variants:
            found[e.key] = v.answer if v else ""
    late = [e.key for e in fresh if e.key not in claimed]
    if late:  # twins committed first: their answer
        found.update(await gate_events.answers(connections.get("default"), late))
    return found, claimed, done


def first_of_twins(events: Sequence[Event]) -> list[Event]:
    """One event per ``(lane, event id)``, the first of twins, in arrival order: the order in
    which a batch's scans of one pass compete for its release (the first one wins)."""
    firsts: dict[Key, Event] = {}
    for e in events:
        firsts.setdefault(e.key, e)
    return list(firsts.values())


def _variant_json(v: Variant | None) -> str:
    if v is None:
        return "null"
    cid, cmd = v.command or (None, None)
    return (f'{{"answer":{COMPACT_JSON(v.answer)},"entries":['
            + ",".join(v.entries) + f'],"cmd_id":{COMPACT_JSON(cid)},'
            f'"cmd":{COMPACT_JSON(cmd)}}}')


def _pg_payload(events: list[Event]) -> str:
    """The batch as one JSON array for :data:`_PG_RECORD` (ledger entries as they are)."""
    items = []
    for i, e in enumerate(events):
        r = e.release
        head = COMPACT_JSON({
            "i": i, "lane": e.lane, "eid": e.event_id, "kind": e.kind, "at": e.at.isoformat(),
            "release": r is not None, "decl": r.declaration_id if r else None,
            "dir": r.direction if r else None, "rkind": r.kind if r else None,
            "port": r.port if r else None, "plate": r.plate if r else None,
            "filing": r.filing_id if r else None, "if_approved": r.if_approved if r else None,
            "acks": e.acks, "xvin": r.export_vin if r else None, **_trip_fields(r, e)})
        trip = r.trip if r else None
        extra = "" if trip is None or r is None else (
            f',"npayload":{trip_record.notice_json(trip, r.port, e.at)}'
            f',"flag":{trip_flag(trip, e.lane, e.event_id, e.at, r.kind)}')
        items.append(f'{head[:-1]}{extra},"done":{_variant_json(e.done)},'
                     f'"refused":{_variant_json(e.refused)}}}')
    return "[" + ",".join(items) + "]"


def _trip_fields(r: Release | None, e: Event) -> dict[str, Any]:
    """The payload's trip columns: the vehicle, its deadline and who is told of the exit."""
    t = r.trip if r else None
    if t is None:
        return {}
    return {"vin": t.vin, "tfiling": t.filing_id,
            "deadline": t.deadline.isoformat() if t.deadline else None,
            "nuser": t.user_id, "nlocale": t.locale}


_DECL, _CROSS = Declaration._meta.db_table, Crossing._meta.db_table
_TRIPS, _NOTES = Trip._meta.db_table, Notification._meta.db_table
_OPEN, _CLOSED = TripStatus.OPEN.value, TripStatus.CLOSED.value
# R-F7: an exit crossing that found its vehicle's trip open: kept, flagged in the ledger.
_DOUBLE_EXITS = """(SELECT w.flag FROM won w WHERE w.dir = 'exit' AND w.deadline IS NOT NULL
    AND w.cid NOT IN (SELECT exit_crossing_id FROM topen)) dx"""
_EVENTS, _COMMANDS = LaneEvent._meta.db_table, LaneCommand._meta.db_table
_LIFTS = ManualLift._meta.db_table
_EXITS, _VEHICLES = VehicleExit._meta.db_table, LicenceVehicle._meta.db_table
# A twin's claim won after this statement took its release or ack: the statement fails (a
# cast error naming this mark) and all it wrote is undone, then the batch runs again.
_RACED = "gate_batch_raced:"
_APPROVED, _USED = DeclarationStatus.APPROVED.value, DeclarationStatus.USED.value

# PostgreSQL: the steps of :func:`_attempt` in one statement (one round trip inside the
# transaction): answers recorded before, declarations locked while approved, crossings
# inserted (ON CONFLICT DO NOTHING on gate_crossings_one_use), acked commands taken, the
# variant chosen, events claimed, then the chosen ledger entries, commands and used marks.
# Every lookup is a LATERAL ... LIMIT 1 or ``= ANY(ARRAY(...))`` probe of an index, so the
# plan never turns into a scan of a growing table (json_to_recordset guesses 100 rows, and
# the new tables may not have been analysed yet). An acked command is found by its unique
# (lane, command id) alone and locked, and only then checked for ``acked_at IS NULL``: that
# condition in the probe or the update would let the planner read the whole partial index
# of pending commands (every lane's unacked commands) for each batch.
_PG_RECORD = f"""
WITH x AS (
  SELECT * FROM json_to_recordset($1::json) AS r(i int, lane text, eid text, kind text,
    at timestamptz, release bool, decl int, dir text, rkind text, port text, plate text,
    filing int, if_approved bool, acks text, vin text, tfiling int, deadline timestamptz,
    nuser int, nlocale text, npayload jsonb, flag json, xvin text, done json, refused json)
), seen AS (
  SELECT x.i, e.answer FROM x CROSS JOIN LATERAL (SELECT answer FROM {_EVENTS} e
    WHERE e.lane_code = x.lane AND e.event_id = x.eid LIMIT 1) e
), fresh AS (
  SELECT * FROM x WHERE x.i NOT IN (SELECT i FROM seen)
), locked AS (
  SELECT d.id FROM {_DECL} d WHERE d.status = '{_APPROVED}' AND d.id = ANY(ARRAY(
    SELECT decl FROM fresh WHERE release AND if_approved AND decl IS NOT NULL))
  ORDER BY d.id FOR UPDATE
), rel AS (
  INSERT INTO {_CROSS} ({", ".join(_CROSSING_COLUMNS)})
  SELECT decl, dir, rkind, left(lane, 40), left(port, 40), left(coalesce(plate, ''), 16),
    filing, left(eid, 80), at FROM fresh
  WHERE release AND (decl IS NULL OR NOT if_approved OR decl IN (SELECT id FROM locked))
  ORDER BY decl, dir, i
  ON CONFLICT (declaration_id, direction) DO NOTHING
  RETURNING id, lane_code, event_id, declaration_id
), won AS (
  SELECT f.*, rel.id AS cid FROM fresh f JOIN rel ON rel.lane_code = f.lane
    AND rel.event_id = f.eid WHERE f.vin IS NOT NULL
), tclose AS (
  UPDATE {_TRIPS} t SET status = '{_CLOSED}', returned_at = w.at, entry_crossing_id = w.cid,
    entry_declaration_id = w.decl
  FROM won w WHERE w.dir = 'entry' AND t.vin = w.vin AND t.status = '{_OPEN}'
), topen AS (
  INSERT INTO {_TRIPS} (filing_id, vin, exit_declaration_id, exit_crossing_id, status,
    exited_at, deadline)
  SELECT tfiling, vin, decl, cid, '{_OPEN}', at, deadline FROM won
  WHERE dir = 'exit' AND deadline IS NOT NULL ORDER BY vin
  ON CONFLICT (vin) WHERE status = '{_OPEN}' DO NOTHING
  RETURNING id, exit_crossing_id
), tnote AS (
  INSERT INTO {_NOTES} (dedupe_key, user_id, kind, locale, payload, status, next_at,
    attempts, maybe_delivered, last_error, created_at)
  SELECT 'trip:' || o.id || ':exited', w.nuser, '{kinds.TRIP_OPENED}', w.nlocale,
    w.npayload || jsonb_build_object('trip_id', o.id), 'pending', $2, 0, false, '', $2
  FROM topen o JOIN won w ON w.cid = o.exit_crossing_id WHERE w.nuser IS NOT NULL
  ON CONFLICT (dedupe_key) DO NOTHING
), tflag AS ({ledger.pg_insert_from("json_build_array(dx.flag)", _DOUBLE_EXITS)}
), vexit AS (
  INSERT INTO {_EXITS} (vehicle_id, vin, exited_at, source, port, created_at)
  SELECT v.id, v.vin, f.at, 'gate', left(f.port, 40), $2 FROM fresh f
  JOIN rel ON rel.lane_code = left(f.lane, 40) AND rel.event_id = left(f.eid, 80)
  CROSS JOIN LATERAL (SELECT lv.id, lv.vin FROM {_VEHICLES} lv WHERE lv.live_vin = f.xvin
    AND lv.state = '{VehicleState.CLEARED.value}' AND (lv.cleared_at IS NULL
    OR lv.cleared_at <= f.at) LIMIT 1) v
  WHERE f.xvin IS NOT NULL
  ON CONFLICT (vehicle_id) DO NOTHING
), pending AS (
  SELECT DISTINCT ON (t.id) f.i, t.id FROM (SELECT i, lane, acks FROM fresh
    WHERE acks IS NOT NULL ORDER BY lane, acks) f CROSS JOIN LATERAL (
    SELECT c.id, c.acked_at FROM {_COMMANDS} c WHERE c.lane_code = f.lane
      AND c.command_id = f.acks LIMIT 1 FOR UPDATE) t
  WHERE t.acked_at IS NULL ORDER BY t.id, f.i
), ack AS (
  UPDATE {_COMMANDS} SET acked_at = $2 WHERE id = ANY(ARRAY(SELECT id FROM pending))
  RETURNING id, command_id
), lifted AS (
  UPDATE {_LIFTS} SET status = '{LiftStatus.EXECUTED.value}', executed_at = $2
  WHERE status = '{LiftStatus.APPROVED.value}' AND id = ANY(ARRAY(
    SELECT substr(command_id, 6)::int FROM ack WHERE command_id ~ '^lift-[0-9]{{1,9}}$'))
), chosen AS (
  SELECT f.i, f.lane, f.eid, f.kind, f.at, p.ok,
    CASE WHEN p.ok THEN f.done ELSE f.refused END AS v
  FROM fresh f, LATERAL (SELECT CASE
    WHEN f.refused IS NULL THEN true
    WHEN f.release THEN EXISTS (SELECT 1 FROM rel WHERE rel.lane_code = f.lane
                                AND rel.event_id = f.eid)
    WHEN f.acks IS NOT NULL THEN f.i IN (SELECT i FROM pending WHERE id IN (SELECT id FROM ack))
    ELSE true END AS ok) p
), ev AS (
  INSERT INTO {_EVENTS} (lane_code, event_id, kind, at, answer)
  SELECT lane, eid, kind, at, v->>'answer' FROM chosen ORDER BY lane, eid
  ON CONFLICT (lane_code, event_id) DO NOTHING RETURNING lane_code, event_id
), mine AS (
  SELECT chosen.* FROM chosen JOIN ev ON ev.lane_code = chosen.lane AND ev.event_id = chosen.eid
), led AS ({ledger.pg_insert_from("mine.v->'entries'", "mine")}
), cmd AS (
  INSERT INTO {_COMMANDS} (lane_code, command_id, frame, at)
  SELECT lane, v->>'cmd_id', v->>'cmd', $2 FROM mine WHERE v->>'cmd_id' IS NOT NULL
  ON CONFLICT (lane_code, command_id) DO NOTHING
), used AS (
  UPDATE {_DECL} SET status = '{_USED}' WHERE status = '{_APPROVED}'
    AND id = ANY(ARRAY(SELECT declaration_id FROM rel WHERE declaration_id IS NOT NULL))
)
SELECT x.i, seen.answer AS seen, mine.v->>'answer' AS answer, mine.i IS NOT NULL AS first,
  coalesce(chosen.ok, false) AS ok,
  CASE WHEN mine.i IS NULL AND chosen.i IS NOT NULL AND (x.i IN (SELECT i FROM pending
    WHERE id IN (SELECT id FROM ack)) OR EXISTS (
    SELECT 1 FROM rel WHERE rel.lane_code = x.lane AND rel.event_id = x.eid))
  THEN ('{_RACED}' || x.i)::int END AS raced
FROM x LEFT JOIN seen ON seen.i = x.i LEFT JOIN chosen ON chosen.i = x.i
  LEFT JOIN mine ON mine.i = x.i
"""


def _without_releases(statement: str) -> str:
    """:data:`_PG_RECORD` for a batch that releases nothing (acks, refusals, rare events):
    the crossing, trip and used-mark steps dropped, ``rel`` an empty set (an ack measured
    0.47 ms of PostgreSQL CPU this way, 0.70 ms through the whole statement)."""
    start, end = statement.index("), locked AS ("), statement.index("), pending AS (")
    used = statement.index("), used AS (")
    empty = ("), rel AS (\n  SELECT NULL::int AS id, NULL::text AS lane_code, NULL::text AS "
             "event_id, NULL::int AS declaration_id WHERE false\n")
    return (statement[:start] + empty + statement[end:used]
            + statement[statement.index(")\nSELECT x.i", used):])


_PG_NO_RELEASE = _without_releases(_PG_RECORD)

async def _pg_attempt(events: list[Event], at: datetime) -> tuple[dict[Key, str], set[Key],
                                                                    set[Key]]:
    """:func:`_attempt` on PostgreSQL: one statement, which is its own transaction (one
    round trip; committed, WAL flushed, when it returns; undone whole if it fails)."""
    unique = first_of_twins(events)
    try:
        statement = _PG_RECORD if any(e.release for e in unique) else _PG_NO_RELEASE
        rows = await connections.get("default").execute_query_dict(
            statement, [_pg_payload(unique), at])
    except OperationalError as exc:
        if _RACED in str(exc):
            raise _Raced from exc
        raise
    found: dict[Key, str] = {}
    claimed, done, late = set(), set(), []
    for r in rows:
        key = unique[r["i"]].key
        if r["seen"] is not None:
            found[key] = r["seen"]
        elif r["first"]:
            found[key] = r["answer"]
            claimed.add(key)
        else:
            late.append(key)
        if r["ok"]:
            done.add(key)
    if late:  # twins committed first: their answer
        found.update(await gate_events.answers(connections.get("default"), late))
    return found, claimed, done


def _is_done(event: Event, won: set[Key], known: set[Key]) -> bool:
    if event.refused is None:
        return True
    if event.release is not None:
        return event.key in won
    return event.key in known if event.acks else True


def _retryable(exc: Exception) -> bool:
    text = getattr(exc, "sqlstate", "") or getattr(exc.__cause__, "sqlstate", "") or ""
    return text in ("40P01", "40001")  # deadlock victim, serialisation failure


async def record(events: list[Event], at: datetime) -> list[Recorded]:
    """Record the events once, in one transaction; each one's answer (R-G2, R-G6)."""
    for attempt in range(ATTEMPTS):
        try:
            postgres = connections.get("default").capabilities.dialect == "postgres"
            answers, claimed, done = await (_pg_attempt if postgres else _attempt)(events, at)
            break
        except _Raced:
            log.info("gate batch raced by a twin; again")
        except Exception as exc:  # a deadlock comes untranslated (asyncpg error)
            if attempt == ATTEMPTS - 1 or not _retryable(exc):
                raise
            log.info("gate batch was a deadlock victim; again")
    else:
        raise RuntimeError("gate batch raced too often")
    seen: set[Key] = set()
    out = []
    for e in events:
        first = e.key in claimed and e.key not in seen
        seen.add(e.key)
        out.append(Recorded(answers.get(e.key, ""), first, e.key in done))
    return out


async def record_one(event: Event, at: datetime) -> Recorded:
    """Record one event on its own (no batch)."""
    return (await record([event], at))[0]



async def record_batch(events: list[Event]) -> list[Recorded]:
    """The events of one loop turn, recorded in one transaction (the bridge's batch).

    Shielded: a lane that goes away (its handler cancelled) must not abandon a commit
    that other lanes' events share, nor leave the database lock taken halfway into BEGIN."""
    started = time.monotonic()
    recorded = await asyncio.shield(record(events, clock.now()))
    metrics.ledger_committed([e.queued for e in events], time.monotonic() - started)
    return recorded
