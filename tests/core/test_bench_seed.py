"""``borderpass bench-seed`` (issue 22) and the migrations on a filled database (PostgreSQL
pass only: both need a database of their own).

- the command, run as an operator runs it, fills a fresh database at scale 0.001 with rows
  the app reads as its own: foreign keys hold, one live filing per VIN and one open trip
  per vehicle, every ledger row in its month, the audit chain verifies, sealed fields open
  with the data key and match their blind indexes, and the first reminder sweep at the
  seed's reference time queues exactly the due reminders;
- every migration after 0015 (0017's and 0021's concurrent indexes, the ledger's move to
  monthly partitions, …) runs on a seeded database while a writer keeps inserting
  declarations and ledger rows with ``lock_timeout`` 2 s: no write waits that long, and
  the whole run ends within a generous bound.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.migrations.api import migrate

from borderpass.adapters.db import tortoise_config
from borderpass.adapters.keyring import open_cipher
from borderpass.app.bench_seed import Counts
from borderpass.core.config import Settings
from borderpass.services import audit, clock
from borderpass.services.notify.sweep import sweep_trips

ADMIN = os.environ.get("BORDERPASS_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not ADMIN.startswith("postgres"),
                                reason="PostgreSQL pass only (a database of its own)")
SCALE = 0.001
KEY = base64.b64encode(b"s" * 32).decode()
ROOT = Path(__file__).resolve().parents[2]
MIGRATION_BOUND_S = 120  # scale 0.001 migrates in seconds; this catches a table rewrite


def _url(name: str) -> str:
    head, _, query = ADMIN.partition("?")
    return head.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh database of this test, dropped after."""
    name = f"borderpass_test_seed_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield _url(name)
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _bench_seed(url: str, tmp_path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BORDERPASS_DATA_DIR": str(tmp_path),
           "BORDERPASS_DATA_KEY": KEY}
    done = subprocess.run([sys.executable, "-m", "borderpass.app.cli", "bench-seed",
                           "--scale", str(SCALE), "--db", url], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


ORPHANS = {  # child column → parent table: rows whose parent is missing
    "filings.applicant_id": "users", "filing_drivers.filing_id": "filings",
    "filing_drivers.user_id": "users", "declarations.filing_id": "filings",
    "declarations.driver_id": "filing_drivers", "declarations.declared_by_id": "users",
    "gate_passes.declaration_id": "declarations", "trips.filing_id": "filings",
    "trips.exit_declaration_id": "declarations", "trips.entry_declaration_id": "declarations",
    "gate_crossings.declaration_id": "declarations",
}


async def test_bench_seed_fills_a_database_the_app_reads_as_its_own(
        database: str, tmp_path: Path) -> None:
    out = _bench_seed(database, tmp_path)
    assert "bench-seed: done" in out
    c = Counts.at(SCALE)
    conn = await asyncpg.connect(database.replace("postgres://", "postgresql://", 1))
    try:
        counts = {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in (
            "users", "filings", "declarations", "gate_passes", "gate_crossings", "gate_ledger",
            "audit_events")}
        assert counts == {"users": c.filings, "filings": c.filings,
                          "declarations": c.declarations, "gate_passes": c.declarations,
                          "gate_crossings": c.declarations - c.filings,
                          "gate_ledger": c.ledger, "audit_events": c.audit}
        for child, parent in ORPHANS.items():
            table, column = child.split(".")
            missing = await conn.fetchval(
                f"SELECT count(*) FROM {table} x WHERE x.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {parent} p WHERE p.id = x.{column})")
            assert missing == 0, child
        # one open trip per vehicle, each vehicle's one live filing (R-F1, R-F8)
        assert await conn.fetchval(
            "SELECT count(DISTINCT vin) FROM trips WHERE status = 'open'") == c.filings
        assert await conn.fetchval(
            "SELECT count(*) FROM trips WHERE status = 'open'") == c.filings
        assert await conn.fetchval(
            "SELECT count(DISTINCT vin) FROM filings WHERE status = 'approved' "
            "AND expires_at > now()") == c.filings
        # a crossing never precedes its declaration's pass validity, trips close in order
        assert await conn.fetchval(
            "SELECT count(*) FROM trips WHERE status = 'closed' AND returned_at <= exited_at"
        ) == 0
        # every ledger row in its month (none left to the default partition)
        assert await conn.fetchval("SELECT count(*) FROM gate_ledger_default") == 0
        months = await conn.fetch("SELECT tableoid::regclass::text AS part, min(at) AS low, "
                                  "max(at) AS high FROM gate_ledger GROUP BY 1")
        assert len(months) > 50
        assert all(m["part"] == f"gate_ledger_y{m['low']:%Ym%m}" and
                   (m["low"].year, m["low"].month) == (m["high"].year, m["high"].month)
                   for m in months)
        mark = await conn.fetchval(
            "SELECT swept_until FROM notify_sweep_marks WHERE name = 'trips'")
        row = await conn.fetchrow(
            "SELECT f.sealed, f.owner_key, d.sealed AS dsealed, d.id_key, d.phone_key "
            "FROM filings f JOIN filing_drivers d ON d.filing_id = f.id WHERE f.id = 7")
        secret = await conn.fetchrow("SELECT declaration_id, secret_sealed FROM gate_passes "
                                     "ORDER BY id DESC LIMIT 1")
    finally:
        await conn.close()

    import json
    from datetime import timedelta

    settings = Settings(database_url=database, data_key=KEY, data_dir=tmp_path)
    await Tortoise.init(config=tortoise_config(database))
    try:
        cipher = await open_cipher(settings)  # the app's key check accepts the seed's key
        sealed, dsealed = json.loads(row["sealed"]), json.loads(row["dsealed"])
        owner = cipher.decrypt(sealed["owner.id_number"], "owner.id_number")
        assert cipher.blind_index(owner, "id_number") == row["owner_key"] == row["id_key"]
        phone = cipher.decrypt(dsealed["phone"], "driver.phone")
        assert cipher.blind_index(phone, "phone") == row["phone_key"]
        assert cipher.decrypt(secret["secret_sealed"],
                              f"gate.pass_secret:{secret['declaration_id']}")
        verdict = await audit.verify()
        assert verdict.ok and verdict.checked == c.audit
        clock.freeze(mark + timedelta(minutes=1))
        assert await sweep_trips(clock.now()) == c.due  # the due reminders, exactly
        assert await sweep_trips(clock.now()) == 0
    finally:
        clock.freeze(None)
        await Tortoise.close_connections()


async def _writer(url: str, stop: asyncio.Event, waits: list[float]) -> int:
    """Insert a declaration and a ledger row every 20 ms under lock_timeout 2 s; each
    write's time. A write refused for the lock raises (the test fails)."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    written = 0
    try:
        await conn.execute("SET lock_timeout = '2s'")
        while not stop.is_set():
            started = time.perf_counter()
            await conn.execute(
                "INSERT INTO declarations (direction, port, planned_at, status, created_at, "
                "declared_by_id, driver_id, filing_id) VALUES ('exit', 'ruili', now(), "
                "'approved', now(), 1, 1, 1)")
            await conn.execute(
                "INSERT INTO gate_ledger (at, lane_code, kind, event_id, plate, outcome, "
                "reason, actor, flagged, detail) VALUES (now(), 'ruili-out-1', 'scan', "
                "'w', '', '', '', '', false, '{}')")
            waits.append(time.perf_counter() - started)
            written += 1
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    return written


async def test_every_migration_runs_on_a_seeded_database_without_blocking_writes(
        database: str, tmp_path: Path) -> None:
    config = tortoise_config(database)
    # the schema as of borderpass 0015 / gate 0005, the other apps as they are
    for target in ("borderpass.0015_consents_and_retention", "gate.0005_second_line",
                   "notify"):
        await migrate(config=config, target=target)
    await Tortoise.close_connections()
    _bench_seed(database, tmp_path)

    stop, waits = asyncio.Event(), []
    writer = asyncio.create_task(_writer(database, stop, waits))
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    try:
        await migrate(config=config)  # every migration left: 0017 … 0021, gate 0008, …
    finally:
        elapsed = time.perf_counter() - started
        stop.set()
        written = await writer
        await Tortoise.close_connections()
    assert written > 0 and len(waits) == written
    assert elapsed < MIGRATION_BOUND_S, elapsed
    conn = await asyncpg.connect(database.replace("postgres://", "postgresql://", 1))
    try:
        assert await conn.fetchval(
            "SELECT relkind::text FROM pg_class WHERE oid = 'gate_ledger'::regclass") == "p"
        assert await conn.fetchval("SELECT count(*) FROM gate_ledger") == \
            Counts.at(SCALE).ledger + written
        invalid = await conn.fetchval("SELECT count(*) FROM pg_index WHERE NOT indisvalid")
        assert invalid == 0
        for index in ("filings_review_queue", "declarations_declared_by", "filings_renews",
                      "filings_corrects"):
            assert await conn.fetchval("SELECT to_regclass($1)", index) is not None, index
    finally:
        await conn.close()
