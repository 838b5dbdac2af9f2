"""A filing with its drivers and document slots, in one round trip (the busiest read).

The drivers and slots come back as JSON aggregates beside the filing's own columns, so a
filing read costs one query instead of three, on PostgreSQL and SQLite alike. A declaration
reads the same row with two more columns: the blacklist check and its own new id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from borderpass.adapters import dialect, rows
from borderpass.models import Declaration, Filing, FilingDocument, FilingDriver, Trip
from borderpass.models.enums import TripStatus
from borderpass.services.filings import renewals
from borderpass.services.filings.subjects import listed_sql, vehicle_key_sql


@dataclass(frozen=True)
class Parts:
    """A filing's drivers in order (id, user_id, name, phone, is_owner, id_key, sealed) and
    its document slots (kind → document id)."""

    drivers: list[dict[str, Any]]
    documents: dict[str, int]

    def has_driver(self, user_id: int) -> bool:
        """True when the user drives the vehicle of this filing."""
        return any(d["user_id"] == user_id for d in self.drivers)

    def driver(self, driver_id: int) -> dict[str, Any] | None:
        """The driver with this id, if on the filing."""
        return next((d for d in self.drivers if d["id"] == driver_id), None)


@dataclass(frozen=True)
class ToDeclare:
    """What a declaration needs beside the filing: whether its owner or the declaring
    driver is on the blacklist (R-F9), whether the vehicle is abroad per the gate's record
    (an open trip, R-F7) and, on PostgreSQL, the new declaration's id, taken from its
    sequence here so that the whole write can then be one statement."""

    listed: bool
    declaration_id: int | None
    renewed_until: datetime | None = None  # R-F3: the expiry of its approved renewal
    abroad: bool = False


_DRIVER = "'id', d.id, 'user_id', d.user_id, 'name', d.name, 'phone', d.phone, " \
          "'is_owner', d.is_owner, 'id_key', d.id_key"
_DRIVERS = FilingDriver._meta.db_table
_SLOTS = FilingDocument._meta.db_table


@cache
def _select(db: str) -> str:
    """The filing's columns and its parts as JSON, in the back end ``db``'s spelling."""
    driver = dialect.json_object(db, f"{_DRIVER}, 'sealed', {dialect.json_column(db, 'd.sealed')}")
    drivers = dialect.json_list(db, driver, f"SELECT * FROM {_DRIVERS} WHERE filing_id = {{}}",
                                "position, id")
    return (f"SELECT f.*, {drivers} AS parts_drivers, (SELECT "
            f"{dialect.json_map(db, 's.kind', 's.document_id')} FROM {_SLOTS} s"
            f" WHERE s.filing_id = {{}}) AS parts_documents")


_FROM = f' FROM "{Filing._meta.db_table}" f WHERE f.id = {{}}'
_LISTED = ", " + listed_sql(  # R-F9: the owner, or the driver declaring
    "f.owner_key", f"(SELECT x.id_key FROM {_DRIVERS} x WHERE x.id = {{}} AND x.filing_id = f.id)"
) + " AS to_declare_listed, " + renewals.renewed_until_sql("f.id") + " AS to_declare_renewed"
_ABROAD = (f", EXISTS (SELECT 1 FROM {Trip._meta.db_table} t WHERE t.vin = "  # R-F7
           f"{vehicle_key_sql('f')} AND t.status = '{TripStatus.OPEN.value}')"
           " AS to_declare_abroad")
def _json(value: Any, empty: Any) -> Any:
    if value is None:
        return empty
    return json.loads(value) if isinstance(value, str | bytes) else value


def _split(row: dict[str, Any]) -> tuple[Filing, Parts]:
    drivers = _json(row.pop("parts_drivers"), [])
    documents = _json(row.pop("parts_documents"), {})
    for d in drivers:
        d["is_owner"] = bool(d["is_owner"])  # SQLite's JSON has 0 and 1
    return Filing._init_from_db(**row), Parts(drivers, documents)


async def load(filing_id: int) -> tuple[Filing, Parts] | None:
    """The filing and its parts, or None when there is no such filing."""
    found = await rows.values(Filing, _select(dialect.name(Filing._meta.db)) + _FROM,
                              filing_id, filing_id, filing_id)
    return _split(found[0]) if found else None


async def load_to_declare(filing_id: int,
                          driver_id: int) -> tuple[Filing, Parts, ToDeclare] | None:
    """The filing and its parts with what a declaration by ``driver_id`` needs, or None."""
    db = dialect.name(Filing._meta.db)
    next_id = dialect.next_id(db, Declaration._meta.db_table)
    found = await rows.values(
        Filing, f"{_select(db)}{_LISTED}{_ABROAD}, {next_id} AS to_declare_id{_FROM}",
        filing_id, filing_id, driver_id, filing_id)
    if not found:
        return None
    row = found[0]
    extra = ToDeclare(bool(row.pop("to_declare_listed")), row.pop("to_declare_id"),
                      renewed_until=renewals.moment(row.pop("to_declare_renewed")),
                      abroad=bool(row.pop("to_declare_abroad")))
    return *_split(row), extra
