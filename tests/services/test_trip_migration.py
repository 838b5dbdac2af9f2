"""Migration 0010 turns trips opened by declarations into trips that follow crossings,
losing none (issue 26; R-F7, R-F8; docs/gate-durability.md "Trips").

A database of its own is migrated to the schema before 0010, given old-style trips (rows the
old code wrote: a trip per declared exit, closed by a declared entry), then migrated on.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from suite_settings import TEST_DB, pg_admin, with_db_name
from tortoise import Tortoise, connections
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate

from borderpass.adapters.db import tortoise_config
from borderpass.models import Declaration, FilingDriver, User
from borderpass.models.enums import DeclarationStatus, Direction, FilingCategory, FilingStatus

T0 = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
EXPIRES = datetime(2027, 6, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
async def old_db(tmp_path: Any) -> AsyncIterator[str]:
    """A database migrated up to the schema before 0010 (borderpass 0009, gate 0002)."""
    if TEST_DB:
        name = f"borderpass_mig_{uuid.uuid4().hex[:10]}"
        await pg_admin(TEST_DB, f'CREATE DATABASE "{name}"')
        url = with_db_name(TEST_DB, name)
    else:
        url = f"sqlite://{tmp_path / 'old.sqlite3'}"
    config = tortoise_config(url)
    await migrate(config=config, target="borderpass.0009_idempotency_records")
    await Tortoise.close_connections()
    await migrate(config=config, target="gate.0002_durable_gate")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    yield url
    await Tortoise.close_connections()
    if TEST_DB:
        await pg_admin(TEST_DB, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _sql(query: str, *values: Any) -> list[dict[str, Any]]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        for n in range(len(values), 0, -1):
            query = query.replace(f"?{n}", f"${n}")
    else:
        for n in range(len(values), 0, -1):
            query = query.replace(f"?{n}", "?")
    return list(await conn.execute_query_dict(query, list(values)))


async def _vehicle(user: User, plate: str, vin: str | None) -> tuple[Any, FilingDriver]:
    """An approved filing as the schema before 0010 holds it (raw SQL: the model has grown
    columns since), and its owner driver."""
    rows = await _sql(
        "INSERT INTO filings (applicant_id, category, status, plate_number, vin, data, sealed,"
        " owner_key, approved_at, expires_at, return_reasons, revoked_reason, created_at,"
        " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, '{}', '{}', ?6, ?7, ?8, '[]', '', ?9, ?10)"
        " RETURNING id", user.id, FilingCategory.PERSONAL.value, FilingStatus.APPROVED.value,
        plate, vin, f"owner-{plate}", T0, EXPIRES, T0, T0)
    filing = SimpleNamespace(id=int(rows[0]["id"]))
    driver = await FilingDriver.create(filing_id=filing.id, name="岩温", is_owner=True)
    return filing, driver


async def _declared(user: User, filing: Any, driver: FilingDriver, direction: Direction,
                    at: datetime, status: DeclarationStatus) -> Declaration:
    return await Declaration.create(filing_id=filing.id, driver=driver, declared_by_id=user.id,
                                    direction=direction, port="ruili", planned_at=at,
                                    status=status)


async def _old_trip(filing: Any, exit_: Declaration, entry: Declaration | None,
                    status: str, at: datetime) -> int:
    """A trip as the old code wrote it: exited at the declared time, 3 months to go."""
    rows = await _sql(
        "INSERT INTO trips (filing_id, exit_declaration_id, entry_declaration_id, status,"
        " exited_at, deadline, returned_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        filing.id, exit_.id, entry.id if entry else None, status, at, at + timedelta(days=92),
        entry.planned_at if entry else None)
    return int(rows[0]["id"])


async def _crossing(declaration: Declaration, at: datetime) -> int:
    rows = await _sql(
        "INSERT INTO gate_crossings (declaration_id, direction, kind, lane_code, port, plate,"
        " filing_id, event_id, at) VALUES (?1, ?2, 'pass', 'ruili-out-1', 'ruili', '', ?3,"
        " ?4, ?5) RETURNING id", declaration.id, declaration.direction.value,
        declaration.filing_id, f"e{declaration.id}", at)  # type: ignore[attr-defined]
    return int(rows[0]["id"])


async def test_migration_keeps_every_vehicle_that_may_be_abroad(old_db: str) -> None:
    rows = await _sql(  # raw SQL: the model has grown columns since (0025)
        "INSERT INTO users (openid, display_name, sealed, locale, roles, is_active, created_at)"
        " VALUES (?1, '', '{}', 'zh_CN', '[\"driver\"]', ?2, ?3) RETURNING id", "o-mig", True, T0)
    user: Any = SimpleNamespace(id=int(rows[0]["id"]))
    used, approved = DeclarationStatus.USED, DeclarationStatus.APPROVED
    exit_, entry = Direction.EXIT, Direction.ENTRY
    # A: exit scanned a day after the declared time: the real time wins, deadline again
    fa, da = await _vehicle(user, "云NA0001", "LSVAM4187C2218360")
    xa = await _declared(user, fa, da, exit_, T0, used)
    trip_a = await _old_trip(fa, xa, None, "open", T0)
    crossing_a = await _crossing(xa, T0 + timedelta(days=1))
    # B: exit declared, never scanned (no crossing): kept open as it was
    fb, db = await _vehicle(user, "云NA0002", None)
    xb = await _declared(user, fb, db, exit_, T0, approved)
    trip_b = await _old_trip(fb, xb, None, "open", T0)
    # C: exit scanned, entry declared but never scanned: closed by the old code, abroad
    fc, dc = await _vehicle(user, "云NA0003", "LSVAM4187C2218361")
    xc = await _declared(user, fc, dc, exit_, T0, used)
    nc = await _declared(user, fc, dc, entry, T0 + timedelta(days=10), approved)
    trip_c = await _old_trip(fc, xc, nc, "closed", T0)
    await _crossing(xc, T0)
    # D: both scanned: the real return time
    fd, dd = await _vehicle(user, "云NA0004", "LSVAM4187C2218362")
    xd = await _declared(user, fd, dd, exit_, T0, used)
    nd = await _declared(user, fd, dd, entry, T0 + timedelta(days=10), used)
    trip_d = await _old_trip(fd, xd, nd, "closed", T0)
    await _crossing(xd, T0)
    crossing_d = await _crossing(nd, T0 + timedelta(days=11))
    # E: one vehicle (VIN) open on two filings: neither is dropped
    fe1, de1 = await _vehicle(user, "云NA0005", "LSVAM4187C2218363")
    fe2, de2 = await _vehicle(user, "云NA0006", "LSVAM4187C2218363")
    trip_e1 = await _old_trip(fe1, await _declared(user, fe1, de1, exit_, T0, approved),
                              None, "open", T0)
    trip_e2 = await _old_trip(fe2, await _declared(user, fe2, de2, exit_, T0, approved),
                              None, "open", T0 + timedelta(hours=1))
    await Tortoise.close_connections()

    await migrate(config=tortoise_config(old_db))  # 0010 and everything after it
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(old_db))
    rows = {r["id"]: r for r in await _sql(
        "SELECT id, vin, status, exited_at, deadline, returned_at, exit_crossing_id,"
        " entry_crossing_id FROM trips")}

    def at(value: Any) -> datetime:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.astimezone(UTC)

    a = rows[trip_a]
    assert (a["status"], a["vin"], a["exit_crossing_id"]) == ("open", "LSVAM4187C2218360",
                                                              crossing_a)
    assert at(a["exited_at"]) == T0 + timedelta(days=1)
    assert at(a["deadline"]) == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # R-F8 from the crossing
    b = rows[trip_b]
    assert (b["status"], b["vin"], b["exit_crossing_id"]) == ("open", f"filing:{fb.id}", None)
    assert at(b["exited_at"]) == T0
    c = rows[trip_c]
    assert c["status"] == "open" and c["returned_at"] is None  # abroad per the gate
    d = rows[trip_d]
    assert (d["status"], d["entry_crossing_id"]) == ("closed", crossing_d)
    assert at(d["returned_at"]) == T0 + timedelta(days=11)
    assert rows[trip_e1]["status"] == rows[trip_e2]["status"] == "open"
    assert rows[trip_e1]["vin"] == "LSVAM4187C2218363"
    assert rows[trip_e2]["vin"] == f"LSVAM4187C2218363#{trip_e2}"
    assert len(rows) == 6
    with pytest.raises(IntegrityError):  # R-F7: one open trip per vehicle from now on
        await _sql("INSERT INTO trips (filing_id, vin, status, exited_at, deadline)"
                   " VALUES (?1, ?2, 'open', ?3, ?4)", fa.id, "LSVAM4187C2218360", T0, T0)
