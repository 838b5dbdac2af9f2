"""Exchange benchmark: events written to the log, then delivered to a local subscriber.

Creates the PostgreSQL database named by ``--bench-db`` (dropped at the end), applies the
migrations and measures

1. the log's writes: ``--events`` events appended by ``--writers`` concurrent transactions
   (each takes the log's shared lock, as a declaration does);
2. delivery: the exchange worker posts them, signed, to the stand-in agency
   (``borderpass agency-sim``'s subscriber, in a child process over real HTTP on
   127.0.0.1:``--port``) once with one event per POST and once in batches of 100
   (target >= 1,000 events/s), then asks the subscriber what it took: every id exactly
   once, in id order.

    .venv/bin/python bench/exchange.py --bench-db exchange_bench
        --redis redis://127.0.0.1:6379/2 [--events 20000] [--writers 8] [--port 18241]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import multiprocessing
import os
import sys
import time

import aiohttp
from benchdb import add_arguments, check, claim_redis, database_url

from borderpass.adapters import loop
from borderpass.adapters.db import close_db, init_db
from borderpass.app.exchange_runtime import HttpTransport
from borderpass.core.crypto import FieldCipher
from borderpass.models import Agency, ExchangeEvent
from borderpass.services.exchange import delivery, kinds, log, subscribers, worker

TARGET = 1000.0
KEY = base64.b64encode(b"exchange-bench-key-32-bytes-long").decode()


def _subscriber(secret: str, port: int) -> None:
    from aiohttp import web

    from borderpass.app.agency_sim import Received, subscriber_app

    class Quiet:
        def write(self, _: str) -> int:
            return 0

        def flush(self) -> None:
            pass

    state = Received(secret, out=Quiet())  # type: ignore[arg-type]
    web.run_app(subscriber_app(state), host="127.0.0.1", port=port, print=None,
                access_log=None)


async def _write(events: int, writers: int) -> float:
    async def one(n: int) -> None:
        for i in range(n, events, writers):
            await log.append(kinds.DECLARATION_CREATED, f"declaration/{i}", {
                "declaration_id": i, "filing_id": i, "plate": f"云N{i:05d}",
                "direction": "exit", "port": "ruili", "planned_at": None,
                "status": "approved"})

    start = time.perf_counter()
    await asyncio.gather(*(one(w) for w in range(writers)))
    return time.perf_counter() - start


async def _stats(port: int) -> dict[str, object]:
    async with aiohttp.ClientSession() as session, \
            session.get(f"http://127.0.0.1:{port}/_stats") as resp:
        return dict(await resp.json())


async def _deliver(cipher: FieldCipher, code: str, batch: int, port: int,
                   events: int) -> tuple[float, dict[str, object]]:
    agency, secret = await subscribers.register(None, {
        "code": code, "name": code, "kind": "customs",
        "url": f"http://127.0.0.1:{port}/events", "event_types": [kinds.DECLARATIONS],
        "batch_size": batch}, cipher, subscribers.Policy(allow_loopback_http=True))
    await Agency.filter(id=agency.id).update(cursor=0)  # from the log's start
    child = multiprocessing.get_context("spawn").Process(target=_subscriber,
                                                         args=(secret, port), daemon=True)
    child.start()
    for _ in range(100):
        try:
            await _stats(port)
            break
        except aiohttp.ClientError:
            await asyncio.sleep(0.1)
    transport = HttpTransport()
    config = delivery.Config()
    last = await ExchangeEvent.all().order_by("-id").first()
    assert last is not None
    start = time.perf_counter()
    try:
        while (await Agency.get(id=agency.id)).cursor < last.id:
            await worker.turn(cipher, transport, config)
        took = time.perf_counter() - start
        stats = await _stats(port)
    finally:
        await transport.close()
        await Agency.filter(id=agency.id).update(active=False)
        child.terminate()
        child.join()
    assert stats["received"] == events and stats["duplicates"] == 0 and stats["in_order"], stats
    return took, stats


async def main(args: argparse.Namespace) -> int:
    import asyncpg

    await claim_redis(args.redis)
    admin = await asyncpg.connect(args.pg.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'DROP DATABASE IF EXISTS "{args.bench_db}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{args.bench_db}"')
    os.environ["BORDERPASS_DATA_KEY"] = KEY
    try:
        await init_db(database_url(args.pg, args.bench_db))
        cipher = FieldCipher(base64.b64decode(KEY))
        wrote = await _write(args.events, args.writers)
        rows = [("log writes", args.writers, wrote, args.events / wrote, "-")]
        for code, batch in (("bench-single", 1), ("bench-batch", 100)):
            took, stats = await _deliver(cipher, code, batch, args.port, args.events)
            rows.append((f"delivery, {batch} per POST", 1, took, args.events / took,
                         f"{stats['received']} once, in order"))
        await close_db()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{args.bench_db}" WITH (FORCE)')
        await admin.close()
    print(f"\n{args.events:,} events on PostgreSQL, subscriber over HTTP on 127.0.0.1\n")
    print(f"{'phase':<26} {'conc.':>5} {'seconds':>8} {'events/s':>9}  check")
    for name, conc, took, rate, note in rows:
        print(f"{name:<26} {conc:>5} {took:>8.2f} {rate:>9,.0f}  {note}")
    best = max(r[3] for r in rows[1:])
    print(f"\ntarget >= {TARGET:,.0f} events/s: {'met' if best >= TARGET else 'NOT met'}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_arguments(parser, sqlite=False)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--port", type=int, default=18241)
    arguments = parser.parse_args()
    check(parser, arguments)
    sys.exit(loop.run(main(arguments)))
