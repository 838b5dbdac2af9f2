"""The cost at 100× data: fill a database with years of a busy port, time the hot paths, and
check with EXPLAIN that each one probes an index instead of reading a big table whole.

Full scale (``--scale 1``) is five years of a port like Ruili: 1 M drivers and filings,
10 M declarations with their passes, 30 M duty-ledger rows, 10 M audit events (a valid
hash chain). ``--scale 0.01`` fills 1 % of that, which this shared 2-core machine does in
about a minute. Rows are made by PostgreSQL itself (``INSERT … SELECT generate_series``),
the audit chain in Python (each row hashes the previous one) and sent with COPY.

Measured, each through the app's own code or its exact query:

- **lane scan state** — the gate's one read per scan (``gate_decisions._states_sql``) for a
  random recent pass;
- **declaration write** — ``declarations.create`` (the service, its checks and its trip);
- **review queue** — the oldest 100 submitted filings (``review.queue``'s query);
- **ledger export, one day** — ``ledger_export.export`` to CSV (R-G6);
- **audit verify** — ``audit.verify`` walks the whole chain: linear by design, reported
  as rows per second and extrapolated to full scale.

    python bench/bigdata.py --bench-db borderpass_bench_big --redis redis://127.0.0.1:6379/8 \
        --scale 0.01

It CREATEs and finally DROPs ``--bench-db`` (``--keep`` keeps it) and prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchdb import add_arguments, check, claim_redis, database_url

FULL = {"users": 1_000_000, "declarations": 10_000_000, "ledger": 30_000_000,
        "audit": 10_000_000}
YEARS = 5
BIG_TABLES = frozenset({"users", "filings", "filing_drivers", "declarations", "gate_passes",
                        "gate_ledger", "audit_events"})
NOW = datetime.now(UTC).replace(microsecond=0)


async def admin(url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def seed_sql(n_users: int, n_decl: int, n_ledger: int) -> list[tuple[str, str]]:
    """The statements that fill the tables, in order (named for the progress lines)."""
    days = YEARS * 365
    return [
        ("users", f"""
INSERT INTO users (openid, display_name, locale, roles, is_active, created_at, sealed)
SELECT 'o-bench-' || g, 'driver ' || g, 'zh_CN', '["driver"]', true,
       now() - (random() * {days}) * interval '1 day', '{{}}'
FROM generate_series(1, {n_users}) g"""),
        # one filing per driver: 96 % approved (valid), 1 per mille waiting for review,
        # the rest expired or returned
        ("filings", f"""
INSERT INTO filings (category, status, plate_number, vin, data, sealed, owner_key,
  submitted_at, approved_at, expires_at, return_reasons, revoked_reason, created_at,
  updated_at, applicant_id)
SELECT 'personal', s.status, 'N' || lpad(g::text, 7, '0'), NULL, '{{}}', '{{}}',
       md5('owner' || g), s.submitted, s.submitted + interval '2 days',
       CASE WHEN s.status = 'approved' THEN now() + interval '300 days'
            ELSE s.submitted + interval '1 year' END,
       '[]', '', s.submitted, s.submitted, g
FROM generate_series(1, {n_users}) g,
LATERAL (SELECT CASE WHEN g % 1000 = 7 THEN 'submitted' WHEN g % 25 = 3 THEN 'expired'
                     WHEN g % 25 = 4 THEN 'returned' ELSE 'approved' END AS status,
                now() - (random() * {days}) * interval '1 day' AS submitted) s"""),
        ("filing_drivers", f"""
INSERT INTO filing_drivers (position, name, phone, is_owner, sealed, id_key, filing_id,
  user_id)
SELECT 0, 'driver ' || g, '', true, '{{}}', md5('id' || g), g, g
FROM generate_series(1, {n_users}) g"""),
        # declarations of the approved filings, spread over the years, all but the
        # newest used; their passes (one each)
        ("declarations", f"""
INSERT INTO declarations (direction, port, planned_at, status, created_at, declared_by_id,
  driver_id, filing_id)
SELECT CASE WHEN g % 2 = 0 THEN 'exit' ELSE 'entry' END, 'ruili', at,
       CASE WHEN g > {n_decl} - {max(1, n_decl // 1000)} THEN 'approved' ELSE 'used' END,
       at, f, f, f
FROM generate_series(1, {n_decl}) g,
LATERAL (SELECT (1 + floor(random() * {n_users}))::int AS f,
                now() - ({days} * ({n_decl} - g)::float / {n_decl}) * interval '1 day' AS at) x
WHERE f % 25 NOT IN (3, 4) AND f % 1000 <> 7"""),
        ("gate_passes", """
INSERT INTO gate_passes (kid, credential, secret_sealed, valid_from, valid_until,
  revoked_reason, created_at, declaration_id)
SELECT 'benchkey', md5('cred' || d.id), 'sealed', d.created_at,
       d.created_at + interval '7 days', '', d.created_at, d.id
FROM declarations d"""),
        # the duty ledger: scans, commands and acks evenly over the years, 10 lanes
        ("gate_ledger", f"""
INSERT INTO gate_ledger (at, lane_code, kind, event_id, declaration_id, plate, outcome,
  reason, actor, flagged, detail)
SELECT now() - ({days} * ({n_ledger} - g)::float / {n_ledger}) * interval '1 day',
       'ruili-out-' || (g % 10), (ARRAY['scan', 'command', 'ack'])[1 + g % 3],
       'e' || g, NULL, 'N' || lpad((g % 99999)::text, 7, '0'),
       CASE WHEN g % 3 = 1 THEN 'open' ELSE '' END, '', '', false, '{{}}'
FROM generate_series(1, {n_ledger}) g"""),
    ]


async def seed_audit(url: str, n: int) -> None:
    """A valid audit chain of ``n`` rows (hashed as ``services.audit`` does), by COPY."""
    import asyncpg

    from borderpass.services.audit import GENESIS

    prev = GENESIS
    rows = []
    start = NOW - timedelta(days=YEARS * 365)
    step = timedelta(days=YEARS * 365) / max(1, n)
    for i in range(1, n + 1):
        at = start + step * i
        body = {"actor_id": 1, "action": "filing_reveal", "subject_type": "filing",
                "subject_id": i, "field_names": ["owner.id_number"], "detail": {},
                "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
                "prev_hash": prev}
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False,
                                           separators=(",", ":")).encode()).hexdigest()
        rows.append(("filing_reveal", "filing", i, '["owner.id_number"]', "{}", at, 1, prev,
                     digest))
        prev = digest
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table(
            "audit_events", records=rows,
            columns=["action", "subject_type", "subject_id", "field_names", "detail", "at",
                     "actor_id", "prev_hash", "row_hash"])
    finally:
        await conn.close()


async def rebuild_0017(url: str, drop_only: bool = False) -> float:
    """Drop the indexes of migration 0017 and build them again, as the migration does, on
    the filled tables: how long an upgrade of a big database takes (no lock on writes)."""
    import importlib

    from tortoise import connections

    from borderpass.adapters.db import close_db, init_db

    mig = importlib.import_module("borderpass.models.migrations.0017_ops")
    await init_db(url, apply_migrations=False)
    try:
        conn = connections.get("default")
        editor = type("Editor", (), {"client": conn})()
        await mig._drop(None, editor)
        if drop_only:
            return 0.0
        started = time.perf_counter()
        await mig._create(None, editor)
        return time.perf_counter() - started
    finally:
        await close_db()


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    out = [plan]
    for child in plan.get("Plans", []):
        out.extend(_nodes(child))
    return out


async def explain(sql: str, params: list[Any]) -> tuple[str, list[str]]:
    """The plan's scan nodes (``Index Scan on declarations`` …) and the big tables read
    whole (Seq Scan)."""
    from tortoise import connections

    conn = connections.get("default")
    _, rows = await conn.execute_query(f"EXPLAIN (FORMAT JSON) {sql}", params)
    raw = rows[0]["QUERY PLAN"]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    scans, whole = [], []
    for node in _nodes(plan):
        table = node.get("Relation Name")
        if table:
            scans.append(f"{node['Node Type']} {node.get('Index Name') or table}")
            if node["Node Type"] == "Seq Scan" and table in BIG_TABLES:
                whole.append(table)
    return "; ".join(dict.fromkeys(scans)), whole


async def timed(run: Callable[[], Awaitable[Any]], count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        await run()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(url: str, redis_url: str, scale: float, counts: dict[str, int],
                  existing: bool = False) -> list[dict[str, Any]]:
    from tortoise import connections

    from borderpass.adapters.db import close_db, init_db
    from borderpass.adapters.kv import make_redis
    from borderpass.app.deps import open_deps
    from borderpass.core.config import Settings
    from borderpass.models import Declaration, Filing, Trip, User
    from borderpass.models.enums import FilingStatus
    from borderpass.services import audit
    from borderpass.services.crossings import declarations
    from borderpass.services.gate import ledger, ledger_export
    from borderpass.services.gate.gate_decisions import _states_sql
    from borderpass.services.notify import sweep

    await init_db(url, apply_migrations=False)
    redis = make_redis(redis_url)
    key = os.environ["BORDERPASS_DATA_KEY"] if existing else base64.b64encode(b"b" * 32).decode()
    deps = await open_deps(Settings(database_url=url, data_key=key,
                                    data_dir=Path(tempfile.mkdtemp())), redis)
    conn = connections.get("default")
    rng = random.Random(7)
    results: list[dict[str, Any]] = []
    try:
        # lane scan state: the gate's one read per scan, for recent passes
        _, top = await conn.execute_query("SELECT max(id) AS m FROM declarations")
        newest = top[0]["m"]
        state_sql = _states_sql("postgres", 1)
        ids = [newest - rng.randrange(min(newest, 50_000)) for _ in range(300)]
        it = iter(ids)
        times = await timed(lambda: conn.execute_query(state_sql, [next(it)]), 300)
        plan, whole = await explain(state_sql, [ids[0]])
        results.append({"what": "lane scan state read", "ms": times, "plan": plan,
                        "whole": whole})

        # declaration write: the service, on approved filings without an open trip
        _, free = await conn.execute_query(
            "SELECT f.id, f.applicant_id FROM filings f JOIN trips t ON t.filing_id = f.id "
            "AND t.status = 'open' WHERE f.status = 'approved' ORDER BY f.id DESC LIMIT 60"
            if existing else "SELECT f.id, f.applicant_id FROM filings f "
            "WHERE f.status = 'approved' ORDER BY f.id DESC LIMIT 60")
        writes = iter(free)

        async def declare() -> None:
            row = next(writes)
            user = await User.get(id=row["applicant_id"])
            # on a seeded database every vehicle is abroad: it declares its return
            await declarations.create(deps, user, {"filing_id": row["id"],
                                                   "driver_id": row["id"],
                                                   "direction": "entry" if existing else "exit",
                                                   "port": "ruili"})

        times = await timed(declare, 50)
        results.append({"what": "declaration write (service)", "ms": times,
                        "plan": "reads by primary key; INSERT declaration, trip, outbox",
                        "whole": []})

        # a driver's declarations, newest first (GET /api/v1/declarations)
        drivers = [rng.randrange(1, counts["users"]) for _ in range(100)]
        who = iter(drivers)
        listing = Declaration.filter(declared_by_id=drivers[0]).order_by("-id").limit(200)
        times = await timed(lambda: Declaration.filter(declared_by_id=next(who))
                            .order_by("-id").limit(200).values_list("id", flat=True), 100)
        plan, whole = await explain(listing.sql(params_inline=True), [])
        results.append({"what": "a driver's declarations (list)", "ms": times, "plan": plan,
                        "whole": whole})

        # review queue: the oldest 100 submitted filings
        query = Filing.filter(status=FilingStatus.SUBMITTED).order_by("submitted_at", "id") \
            .limit(100)
        times = await timed(lambda: query.values_list("id", flat=True), 30)
        plan, whole = await explain(query.sql(params_inline=True), [])
        results.append({"what": "review queue (100 oldest)", "ms": times, "plan": plan,
                        "whole": whole})

        # ledger export of one day (CSV, the operator's command)
        day = (NOW - timedelta(days=30)).replace(hour=0, minute=0, second=0)
        out = Path(tempfile.mkdtemp()) / "ledger.csv"
        times = await timed(lambda: ledger_export.export(
            deps.kv, out, "csv", day, day + timedelta(days=1)), 3)
        copy = (f"SELECT {', '.join(ledger_export._COPY_COLUMNS)} FROM gate_ledger "
                "WHERE at >= $1 AND at < $2 ORDER BY id")  # what COPY writes out
        plan, whole = await explain(copy, [day, day + timedelta(days=1)])
        per_day = counts["ledger"] / (YEARS * 365)
        results.append({"what": f"ledger export, 1 day (~{per_day:,.0f} rows)", "ms": times,
                        "plan": plan, "whole": whole})

        # the 15-day report (R-G6): the operator's command, over the last full 15 days
        end = NOW.replace(hour=0, minute=0, second=0) - timedelta(days=1)
        start = end - ledger_export.REPORT_PERIOD
        rows_15 = await ledger.count(start, end)
        times = await timed(lambda: ledger_export.export(deps.kv, out, "csv", start, end), 1)
        plan, whole = await explain(copy, [start, end])
        results.append({"what": f"ledger report, 15 days ({rows_15:,} rows, CSV)",
                        "ms": times, "plan": plan, "whole": whole})

        # the reminder sweep: one stage's page, the open trips due in one minute with what
        # their reminders need (services/notify/sweep.py builds the rows in Python)
        lead = timedelta(days=7)
        page = Trip.filter(status="open", deadline__gt=NOW + lead - timedelta(minutes=1),
                           deadline__lte=NOW + lead).order_by("deadline", "id") \
            .limit(sweep.PAGE).values("id", "deadline", *sweep.TRIP_FIELDS)
        plan, whole = await explain(page.sql(params_inline=True), [])
        results.append({"what": "reminder sweep (one stage's page, one minute)", "ms": [0.0],
                        "plan": plan, "whole": whole})

        # audit verify: the whole chain, linear by design, streamed (constant memory)
        import resource

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        verdict = await audit.verify()
        seconds = time.perf_counter() - started
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss) / 1024
        assert verdict.broken_id is None, verdict
        plan, _ = await explain(  # the walk reads the whole chain by design
            "SELECT id, actor_id, action, subject_type, subject_id, field_names, detail, at, "
            "prev_hash, row_hash FROM audit_events ORDER BY id", [])
        whole = []
        results.append({"what": f"audit verify ({verdict.checked:,} rows; peak memory "
                                f"+{grown:.0f} MB)",
                        "ms": [seconds * 1000], "plan": plan + " (one cursor)", "whole": whole,
                        "rate": verdict.checked / seconds})
    finally:
        await redis.aclose()
        await close_db()
    return results


def host_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} (1 / 5 min), {os.cpu_count()} CPUs"


def print_results(results: list[dict[str, Any]]) -> int:
    """The table of hot paths; 1 when a big table is read whole."""
    print(f"\n{NOW.date()} — {host_load()}\n")
    print("| hot path | p50 ms | p99 ms | plan (scans) | big table read whole |")
    print("|---|---|---|---|---|")
    for r in results:
        ms = r["ms"]
        print(f"| {r['what']} | {statistics.median(ms):.2f} | {p(ms, 0.99):.2f} | "
              f"{r['plan']} | {', '.join(r['whole']) or 'none'} |")
    for r in results:
        if "rate" in r:
            full = FULL["audit"] / r["rate"]
            print(f"\naudit verify: {r['rate']:,.0f} rows/s → {full / 60:.0f} min for "
                  f"{FULL['audit']:,} rows (linear)")
    bad = [r["what"] for r in results if r["whole"]]
    if bad:
        print(f"\nSEQ SCAN of a big table in: {', '.join(bad)}")
    return 1 if bad else 0


async def measure_existing(args: argparse.Namespace) -> int:
    """The hot paths on a database filled by ``borderpass bench-seed`` (never dropped)."""
    import asyncpg

    await claim_redis(args.redis)
    conn = await asyncpg.connect(args.existing_db.replace("postgres://", "postgresql://", 1))
    try:
        counts = {"users": await conn.fetchval("SELECT max(id) FROM users"),
                  "ledger": await conn.fetchval(
                      "SELECT reltuples::bigint FROM pg_class WHERE relname = 'gate_ledger'"
                  ) or 0}
        parts = await conn.fetch("SELECT c.relname, c.reltuples::bigint AS n FROM pg_inherits i "
                                 "JOIN pg_class c ON c.oid = i.inhrelid "
                                 "WHERE i.inhparent = 'gate_ledger'::regclass")
        counts["ledger"] = sum(r["n"] for r in parts) or counts["ledger"]
        size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        await conn.close()
    print(f"existing database {args.existing_db}: {counts['users']:,} users, "
          f"~{counts['ledger']:,} ledger rows in {len(parts)} partitions, {size}; "
          f"{host_load()}", flush=True)
    results = await measure(args.existing_db, args.redis, 1.0, counts, existing=True)
    await claim_redis(args.redis)
    return print_results(results)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser, sqlite=False)
    parser.add_argument("--scale", type=float, default=0.01,
                        help="fraction of full scale (1 = 1 M users, 10 M declarations, "
                             "30 M ledger rows, 10 M audit events); default 0.01")
    parser.add_argument("--keep", action="store_true", help="keep the database after")
    parser.add_argument("--without-0017", action="store_true",
                        help="drop migration 0017's indexes before measuring (the before)")
    args = parser.parse_args()
    check(parser, args)
    if args.existing_db:
        return await measure_existing(args)
    counts = {k: max(100, int(v * args.scale)) for k, v in FULL.items()}
    url = database_url(args.pg, args.bench_db)
    await claim_redis(args.redis)
    await admin(args.pg, f'DROP DATABASE IF EXISTS "{args.bench_db}" WITH (FORCE)',
                f'CREATE DATABASE "{args.bench_db}"')
    try:
        from borderpass.adapters.db import close_db, init_db

        started = time.perf_counter()
        await init_db(url)
        await close_db()
        print(f"scale {args.scale:g}: {counts}; {host_load()}", flush=True)
        for name, sql in seed_sql(counts["users"], counts["declarations"], counts["ledger"]):
            t0 = time.perf_counter()
            await admin(url, sql)
            print(f"  {name}: {time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        await seed_audit(url, counts["audit"])
        print(f"  audit_events (chain): {time.perf_counter() - t0:.1f} s", flush=True)
        await admin(url, "VACUUM ANALYZE")
        seeded = time.perf_counter() - started
        migration = await rebuild_0017(url)
        print(f"  migration 0017_ops rebuilt on the seeded tables: {migration:.1f} s "
              "(CREATE INDEX CONCURRENTLY, writes not blocked)", flush=True)
        if args.without_0017:
            await rebuild_0017(url, drop_only=True)
            print("  measuring WITHOUT migration 0017's indexes", flush=True)
        import asyncpg

        c = await asyncpg.connect(url)
        sizes = {t: await c.fetchval(f"SELECT count(*) FROM {t}") for t in
                 ("users", "filings", "declarations", "gate_passes", "gate_ledger",
                  "audit_events")}
        db_size = await c.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
        await c.close()
        print(f"seeded in {seeded:.0f} s (migrations included): {sizes}, {db_size}",
              flush=True)
        results = await measure(url, args.redis, args.scale, counts)
        return print_results(results)
    finally:
        if not args.keep:
            await admin(args.pg, f'DROP DATABASE IF EXISTS "{args.bench_db}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
