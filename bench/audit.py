"""Audit trail benchmark: chained appends (serialised by the append lock) and ``verify``.

Creates a fresh PostgreSQL database (``--sqlite``: a temporary SQLite file), then measures

1. appends: ``services.audit.record`` by C concurrent tasks, N rows in all — rows/s and the
   p50/p99 latency of one append (each waits for the lock: the chain is one line);
2. verify: one walk of the whole chain, rows/s.

    .venv/bin/python bench/audit.py [--rows 2000] [--concurrency 16] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from borderpass.adapters.db import close_db, init_db
from borderpass.services import audit

ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


async def _appends(rows: int, concurrency: int) -> list[float]:
    latencies: list[float] = []
    per_task = rows // concurrency

    async def task(k: int) -> None:
        for i in range(per_task):
            start = time.perf_counter()
            await audit.record(None, "read", "document", k * per_task + i, ["image"],
                               kind="photo_side")
            latencies.append(time.perf_counter() - start)

    await asyncio.gather(*(task(k) for k in range(concurrency)))
    return latencies


async def main(rows: int, concurrency: int, sqlite: bool) -> None:
    name = f"borderpass_bench_audit_{uuid.uuid4().hex[:8]}"
    tmp = tempfile.TemporaryDirectory()
    if sqlite:
        url = f"sqlite://{Path(tmp.name) / 'bench.sqlite3'}"
    else:
        admin = await asyncpg.connect(ADMIN_URL)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        await init_db(url)
        start = time.perf_counter()
        latencies = await _appends(rows, concurrency)
        took = time.perf_counter() - start
        start = time.perf_counter()
        verdict = await audit.verify()
        walk = time.perf_counter() - start
        await close_db()
    finally:
        if not sqlite:
            admin = await asyncpg.connect(ADMIN_URL)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()
        tmp.cleanup()
    cuts = statistics.quantiles(latencies, n=100)
    print("| back end | rows | tasks | appends/s | p50 ms | p99 ms | verify rows/s | chain |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {'SQLite' if sqlite else 'PostgreSQL'} | {len(latencies)} | {concurrency} "
          f"| {len(latencies) / took:,.0f} | {cuts[49] * 1000:.1f} | {cuts[98] * 1000:.1f} "
          f"| {verdict.checked / walk:,.0f} | {'intact' if verdict.ok else 'BROKEN'} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.concurrency, args.sqlite))
