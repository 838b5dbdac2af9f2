"""The second-line channel (二线通道): vehicles on the credit pass list pass by plate (R-G8).

The credit pass list (信用通行名单, R-U3 … R-U6) is what it is for: a vehicle listed by a
unit, with (when the lane reads one) its driver on the same entry, passes a second-line
lane with no per-trip declaration, unless picked for a random check (held, R-G3). The list
is read from the database on every scan, in one indexed query (``plate_number, status``),
so a removal or a dishonesty record (R-U6) takes effect at the lane at the next scan.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import connections

from borderpass.models import Port
from borderpass.models.units import DishonestyRecord, Membership, MemberStatus, Unit, UnitStatus
from borderpass.services import validators as v
from borderpass.services.gate.gate_context import GateDeps, normalize_plate

PASSED = "credit_list"  # open: on the list, not picked
CHECKED = "second_line_check"  # hold: picked for a random check (R-G3)
NOT_LISTED = "not_on_credit_list"
REMOVED = "credit_list_removed"
DISHONEST = "credit_list_dishonest"
DRIVER_NOT_LISTED = "driver_not_listed"
DEFAULT_RATE = 5  # per cent, when the port has no row


@dataclass(frozen=True)
class Verdict:
    """What the list says of one vehicle (and driver) at one port."""

    reason: str
    member_id: int | None = None
    unit_id: int | None = None
    rate: int = DEFAULT_RATE


def _sql(dialect: str) -> str:
    """One indexed read (``plate_number, status``): the port's rate, the plate's listed and
    removed entries, their units and any dishonesty record naming them (R-U6)."""

    def mark(n: int) -> str:
        return f"${n}" if dialect == "postgres" else "?"

    m, u, r, p = (Membership._meta.db_table, Unit._meta.db_table,
                  DishonestyRecord._meta.db_table, Port._meta.db_table)
    live = ("r.lifted_at IS NULL AND ((r.subject_kind = 'person' AND r.subject_key = "
            "m.person_key) OR (r.subject_kind = 'vehicle' AND r.subject_key IN "
            "(m.vehicle_key, m.plate_number)))")  # R-U6, as crossings.dishonesty names them
    return (
        f"SELECT q.pct, m.id, m.unit_id, m.status, m.person_key, u.status AS unit_status, "
        f"(SELECT count(*) FROM {r} r WHERE {live} AND r.until IS NULL) AS open_ended, "
        f"(SELECT max(r.until) FROM {r} r WHERE {live}) AS latest_until "
        f"FROM (SELECT coalesce((SELECT second_line_check_pct FROM {p} WHERE code = {mark(1)}),"
        f" {DEFAULT_RATE}) AS pct) q "
        f"LEFT JOIN {m} m ON m.plate_number = {mark(2)} AND m.status IN "
        f"('{MemberStatus.LISTED.value}', '{MemberStatus.REMOVED.value}') "
        f"LEFT JOIN {u} u ON u.id = m.unit_id ORDER BY m.id")


def _in_force(row: dict[str, Any], at: datetime) -> bool:
    """A dishonesty record in force names this entry's person or vehicle (R-U6)."""
    if row["open_ended"]:
        return True
    until = row["latest_until"]
    if isinstance(until, str):  # SQLite hands the column back as text
        until = datetime.fromisoformat(until)
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    return until is not None and until > at


def person_key(gate: GateDeps, id_number: str) -> str:
    """The driver as the list knows them: the blind index of the identity number (R-U7)."""
    number = v.check_id_number(id_number, "id_number").number  # FieldError names the field
    return gate.deps.cipher.blind_index(number, "id_number")


async def verdict(port: str, plate: str, driver_key: str | None, at: datetime) -> Verdict:
    """The list's answer for this plate (and driver) at ``port``, read now (R-G8, R-U6)."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(_sql(conn.capabilities.dialect),
                                         [port, normalize_plate(plate)])
    rate = int(rows[0]["pct"]) if rows else DEFAULT_RATE
    entries = [r for r in rows if r["id"] is not None]
    if any(_in_force(r, at) for r in entries):
        return Verdict(DISHONEST, rate=rate)  # R-U6: a record in force bars every entry
    live = [r for r in entries if r["status"] == MemberStatus.LISTED.value
            and r["unit_status"] == UnitStatus.ACTIVE.value]
    if not live:
        return Verdict(REMOVED if entries else NOT_LISTED, rate=rate)
    if driver_key is not None:
        live = [r for r in live if r["person_key"] == driver_key]
        if not live:
            return Verdict(DRIVER_NOT_LISTED, rate=rate)
    first = live[0]
    return Verdict(PASSED, int(first["id"]), int(first["unit_id"]), rate)


def picked(rate: int) -> bool:
    """A random check drawn with ``secrets`` at the port's rate in per cent (R-G8)."""
    return secrets.randbelow(100) < max(0, min(100, rate))
