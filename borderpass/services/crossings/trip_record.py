"""Trips follow the gate's crossings (R-F7, R-F8): written in the crossing's own transaction.

A trip opens on the vehicle's exit crossing (``exited_at`` is the crossing's time, the
deadline counted from it, R-F8 per category: services/filings/stay_limits.py) and closes on its
entry crossing. Trips are keyed by the vehicle (its VIN), so an entry under a renewed filing
closes the trip opened under the old one. One statement per batch opens trips (INSERT … ON
CONFLICT on the partial unique index ``trips_one_open_vin``: a second exit crossing while a
trip is open keeps the first trip and is flagged in the ledger, never an error) and one
closes them (UPDATE … FROM the batch's entries). The driver is told of the exit and its
deadline through the notification outbox in the same transaction.

On PostgreSQL the lane's scans do the same inside the one statement of
:mod:`borderpass.services.gate.gate_record` (``_PG_RECORD``); this module's :func:`follow` is the
other paths' (SQLite, offline batches, manual lifts, emergency releases).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from borderpass.adapters import dialect
from borderpass.models import Declaration, Filing, Trip, User
from borderpass.models.enums import FilingStatus, TripStatus
from borderpass.services.filings import stay_limits
from borderpass.services.filings.subjects import vehicle_key
from borderpass.services.notify import kinds
from borderpass.services.notify.outbox import Intent, enqueue

_TRIPS = Trip._meta.db_table
_FILINGS = Filing._meta.db_table
_USERS = User._meta.db_table


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class TripFacts:
    """What a crossing needs to open or close its vehicle's trip."""

    filing_id: int
    vin: str
    deadline: datetime | None  # exits only (R-F8)
    user_id: int | None  # told of the exit: the declaring driver, else the applicant
    locale: str
    plate: str

    def notice(self, port: str, at: datetime) -> dict[str, Any]:
        """The exit message's payload, without the trip id (added when it opens)."""
        return {"filing_id": self.filing_id, "plate": self.plate, "port": port,
                "exited_at": at.isoformat(),
                "deadline": self.deadline.isoformat() if self.deadline else None}


def facts(row: Mapping[str, Any], direction: str, at: datetime) -> TripFacts | None:
    """From a row with the filing's ``filing_id, vin, category, expires_at (vin_expires),
    plate_number, user_id, locale``; None if the filing is unknown."""
    if row.get("filing_id") is None:
        return None
    deadline = None
    if direction == "exit":
        expires = _moment(row.get("vin_expires")) or _moment(row.get("expires_at"))
        deadline = stay_limits.deadline(at, str(row["category"]), expires)  # R-F8
    return TripFacts(int(row["filing_id"]), vehicle_key(int(row["filing_id"]), row.get("vin")),
                     deadline, row.get("user_id"), row.get("locale") or "zh_CN",
                     row.get("plate_number") or "")


def _vin_expires_sql(alias: str) -> str:
    """The latest expiry of the approved filings of the same vehicle (a renewal extends)."""
    return (f"(SELECT max(g.expires_at) FROM {_FILINGS} g WHERE g.vin = {alias}.vin"
            f" AND g.status = '{FilingStatus.APPROVED.value}') AS vin_expires")


def state_columns(filing: str, declaration: str) -> str:
    """The columns :func:`facts` reads, for a query joining a filing and a declaration."""
    return (f"{filing}.category, {filing}.expires_at, {filing}.plate_number, "
            f"{_vin_expires_sql(filing)}, {declaration}.declared_by_id AS user_id, "
            f"(SELECT u.locale FROM {_USERS} u WHERE u.id = {declaration}.declared_by_id)"
            f" AS locale")


async def facts_by_declaration(declaration_id: int, direction: str,
                               at: datetime) -> TripFacts | None:
    """The trip facts of the vehicle a pass names (offline uploads, not the hot path)."""
    rows = await Filing._meta.db.execute_query_dict(
        f"SELECT f.id AS filing_id, f.vin, {state_columns('f', 'd')} FROM "
        f"{Declaration._meta.db_table} d JOIN {_FILINGS} f ON f.id = d.filing_id "
        f"WHERE d.id = {_mark()}", [declaration_id])
    return facts(rows[0], direction, at) if rows else None


async def facts_by_plate(plate: str, direction: str, at: datetime) -> TripFacts | None:
    """The live filing of the vehicle with this (normalised) plate: a manual lift or an
    emergency release naming a plate is that vehicle's crossing. None if none is live."""
    if not plate:
        return None
    rows = await Filing._meta.db.execute_query_dict(
        f"SELECT f.id AS filing_id, f.vin, f.category, f.expires_at, f.plate_number, "
        f"{_vin_expires_sql('f')}, f.applicant_id AS user_id, (SELECT u.locale FROM "
        f"{_USERS} u WHERE u.id = f.applicant_id) AS locale FROM {_FILINGS} f "
        f"WHERE upper(replace(replace(replace(replace(f.plate_number, ' ', ''), '-', ''), "
        f"'.', ''), '·', ''))"
        f" = {_mark()} AND f.status = '{FilingStatus.APPROVED.value}' "
        f"ORDER BY f.expires_at LIMIT 1", [plate])
    return facts(rows[0], direction, at) if rows else None


def _mark(n: int = 1) -> str:
    return dialect.param(Filing._meta.db, n)


# A crossing a trip follows: (facts, direction, declaration id, port, lane, event id, at,
# crossing id, crossing kind).
Crossed = tuple[TripFacts, str, int | None, str, str, str, datetime, int, str]


def _db(value: datetime | None, column: str) -> Any:
    return Trip._meta.fields_map[column].to_db_value(value, Trip)


_ENTERED = {"vin": "text", "at": "timestamptz", "cid": "bigint", "decl": "int"}


async def _close(tx: BaseDBAsyncClient, entries: Sequence[Crossed]) -> None:
    """One UPDATE for the batch's entry crossings: each closes its vehicle's open trip."""
    batch = [{"vin": f.vin, "at": at.isoformat(), "cid": cid, "decl": decl}
             for f, _, decl, _, _, _, at, cid, _ in entries]
    await tx.execute_query(
        f"UPDATE {_TRIPS} SET status = '{TripStatus.CLOSED.value}', returned_at = v.at, "
        f"entry_crossing_id = v.cid, entry_declaration_id = v.decl FROM "
        f"{dialect.json_rows(tx, dialect.json_param(tx, 1), _ENTERED, 'v')} "
        f"WHERE {_TRIPS}.vin = v.vin AND {_TRIPS}.status = '{TripStatus.OPEN.value}'",
        [json.dumps(batch)])


async def _open(tx: BaseDBAsyncClient, exits: Sequence[Crossed]) -> dict[int, int]:
    """One INSERT for the batch's exit crossings; the trip opened by crossing id."""
    ordered = sorted(exits, key=lambda c: c[0].vin)
    columns = ("filing_id", "vin", "exit_declaration_id", "exit_crossing_id", "status",
               "exited_at", "deadline")
    marks = dialect.marks(tx, len(columns) * len(ordered))
    rows = ", ".join("(" + ", ".join(marks[i * len(columns):(i + 1) * len(columns)]) + ")"
                     for i in range(len(ordered)))
    values = [v for f, _, decl, _, _, _, at, cid, _ in ordered
              for v in (f.filing_id, f.vin, decl, cid, TripStatus.OPEN.value,
                        _db(at, "exited_at"), _db(f.deadline, "deadline"))]
    found = await tx.execute_query_dict(
        f"INSERT INTO {_TRIPS} ({', '.join(columns)}) VALUES {rows} "
        f"ON CONFLICT (vin) WHERE status = '{TripStatus.OPEN.value}' DO NOTHING "
        f"RETURNING id, exit_crossing_id", values)
    return {int(r["exit_crossing_id"]): int(r["id"]) for r in found}


async def follow(tx: BaseDBAsyncClient, crossed: Sequence[Crossed]) -> list[Crossed]:
    """Close and open the trips of these crossings inside ``tx`` (the crossings' own
    transaction): entries first, then exits; queue each opened trip's message. The exit
    crossings that found their vehicle's trip already open, for the gate to flag in its
    ledger (R-F7, R-F8)."""
    entries = [c for c in crossed if c[1] == "entry"]
    exits = [c for c in crossed if c[1] == "exit" and c[0].deadline is not None]
    if entries:
        await _close(tx, entries)
    if not exits:
        return []
    opened = await _open(tx, exits)
    intents = [Intent(f"trip:{opened[cid]}:exited", f.user_id, kinds.TRIP_OPENED, f.locale,
                      {**f.notice(port, at), "trip_id": opened[cid]})
               for f, _, _, port, _, _, at, cid, _ in exits
               if cid in opened and f.user_id is not None]
    await enqueue(intents, db=tx)
    return [c for c in exits if c[7] not in opened]  # c[7]: the crossing id


def notice_json(f: TripFacts, port: str, at: datetime) -> str:
    """The exit message's payload as JSON (the PostgreSQL statement adds the trip id)."""
    return json.dumps(f.notice(port, at), ensure_ascii=False, separators=(",", ":"))
