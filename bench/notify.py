"""Notification benchmark: the reminder sweep over 1,000,000 open trips, then delivery.

Creates the PostgreSQL database named by ``--bench-db`` (dropped at the end), applies the
migrations, seeds with asyncpg COPY 1,000,000 open trips (each with its filing, driver, exit
declaration and applicant) of which 10,000 have a deadline reminder falling due in the last
sweep interval (2,000 per stage: 14, 7, 3, 1 days and 12 hours before), ANALYZEs, then
measures

1. the sweep: ``sweep_trips`` reading only the due rows (index on trips(status, deadline))
   and queueing 10,000 outbox rows (target <= 1 s); a second sweep queues nothing;
2. delivery: sender workers in this process push those 10,000 rows as subscribe messages
   to a fake WeChat server in a child process over real HTTP (target >= 500 messages/s),
   then checks that the fake received each message exactly once.

The Redis database of ``--redis`` (flushed) holds the shared access token.

    .venv/bin/python bench/notify.py --bench-db borderpass_bench_notify
        --redis redis://127.0.0.1:6379/14 [--trips 1000000] [--due 10000] [--workers 4]
        [--pg postgres://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from benchdb import add_arguments, claim_redis, database_url

from borderpass.adapters import loop
from borderpass.adapters.db import close_db, init_db
from borderpass.adapters.kv import make_redis
from borderpass.adapters.wechat import WeChatClient
from borderpass.app.wechat_push import WeChatPush
from borderpass.models import Trip, User
from borderpass.models.notify import Notification, NotificationStatus, SweepMark
from borderpass.services import clock
from borderpass.services.notify import kinds
from borderpass.services.notify.channels import NotifyConfig
from borderpass.services.notify.sender import deliver_due
from borderpass.services.notify.sweep import sweep_trips

APPID, SECRET = "wxbenchminiapp", "bench-miniapp-secret"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, 09:30 in Yangon
INTERVAL = timedelta(seconds=60)  # the sweep interval the due rows fell into
SWEEP_TARGET, RATE_TARGET = 1.0, 500.0
LOCALES = ("zh_CN", "my", "en")
CPU: dict[str, float] = {}  # seconds of this process's CPU per phase (the machine may be shared)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fake_wechat(port: int, users: int | list[str]) -> None:
    """Child process: a demo-mode fake WeChat where every o-demo-* user (or each openid
    listed) accepts pushes."""
    from borderpass_dev.fake_wechat import FakeWeChat

    async def serve() -> None:
        fake = FakeWeChat(apps={APPID: SECRET}, demo=True)
        openids = users if isinstance(users, list) else [
            f"o-demo-{i}" for i in range(1, users + 1)]
        for openid in openids:
            fake.add_user(openid)
            if isinstance(users, list):  # not demo users: each grants the template
                fake.grant_subscription(openid, "bench-deadline", 10)
        await fake.start(port=port)
        await asyncio.Event().wait()

    asyncio.run(serve())


def _users(trips: int) -> int:
    """Five trips per applicant."""
    return max(trips // 5, 1)


def _pg(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


async def _columns(conn: asyncpg.Connection, table: str) -> list[tuple[str, str, bool]]:
    """(name, type, needs a value) of each column except the generated id."""
    rows = await conn.fetch(
        "SELECT column_name, data_type, is_nullable = 'NO' AND column_default IS NULL AS need"
        " FROM information_schema.columns WHERE table_name = $1 AND column_name <> 'id'"
        " ORDER BY ordinal_position", table)
    return [(r["column_name"], r["data_type"], r["need"]) for r in rows]


def _filler(data_type: str) -> Any:
    """A neutral value for a NOT NULL column the benchmark does not care about."""
    if "json" in data_type:
        return "{}"
    if data_type in ("integer", "smallint", "bigint", "numeric", "double precision"):
        return 0
    if data_type == "boolean":
        return False
    if data_type.startswith("timestamp"):
        return NOW
    if data_type == "date":
        return NOW.date()
    return ""


async def _copy(conn: asyncpg.Connection, table: str, rows: Iterator[dict[str, Any]],
                count: int) -> None:
    """COPY ``count`` rows into ``table``, filling the NOT NULL columns the rows leave out."""
    columns = await _columns(conn, table)
    first = next(rows)
    names = [c for c, _, need in columns if need or c in first]
    extra = {c: _filler(t) for c, t, need in columns if need and c not in first}
    records = ([{**extra, **row}.get(c) for c in names] for row in _chain(first, rows))
    await conn.copy_records_to_table(table, records=records, columns=names)
    print(f"  {table}: {count:,} rows", flush=True)


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def _deadlines(trips: int, due: int) -> list[datetime]:
    """``due`` deadlines whose reminder fell due in (NOW - INTERVAL, NOW], the rest not."""
    leads = [lead for _, lead in kinds.TRIP_STAGES]
    rng = random.Random(5)
    out = [NOW + leads[i % len(leads)] - INTERVAL * rng.random() for i in range(due)]
    windows = [(NOW - INTERVAL + lead, NOW + lead) for lead in leads]
    while len(out) < trips:
        deadline = NOW + timedelta(hours=1) + timedelta(days=89) * rng.random()
        if not any(low < deadline <= high for low, high in windows):
            out.append(deadline)
    rng.shuffle(out)
    return out


async def seed(url: str, trips: int, due: int) -> None:
    """Users, filings, drivers, exit declarations and open trips, by COPY."""
    conn = await asyncpg.connect(_pg(url))
    users = _users(trips)
    try:
        started = time.perf_counter()
        await _copy(conn, "users", ({"openid": f"o-demo-{i}", "locale": LOCALES[i % 3],
                                     "roles": '["driver"]', "display_name": f"d{i}",
                                     "is_active": True, "created_at": NOW}
                                    for i in range(1, users + 1)), users)
        await _copy(conn, "filings", ({"applicant_id": i % users + 1, "category": "personal",
                                       "status": "approved", "plate_number": f"云N{i:06d}"[:12],
                                       "approved_at": NOW - timedelta(days=30),
                                       "expires_at": NOW + timedelta(days=335),
                                       "created_at": NOW, "updated_at": NOW}
                                      for i in range(trips)), trips)
        await _copy(conn, "filing_drivers", ({"filing_id": i, "name": "bench", "is_owner": True,
                                              "sealed": "{}"} for i in range(1, trips + 1)),
                    trips)
        await _copy(conn, "declarations", ({"filing_id": i, "driver_id": i,
                                            "declared_by_id": (i - 1) % users + 1,
                                            "direction": "exit", "port": "ruili",
                                            "planned_at": NOW - timedelta(days=10),
                                            "status": "used", "created_at": NOW}
                                           for i in range(1, trips + 1)), trips)
        deadlines = _deadlines(trips, due)
        await _copy(conn, "trips", ({"filing_id": i, "vin": f"BENCH{i:012d}",  # one open trip
                                     "exit_declaration_id": i, "status": "open",  # per vehicle
                                     "exited_at": NOW - timedelta(days=10),
                                     "deadline": deadlines[i - 1]}
                                    for i in range(1, trips + 1)), trips)
        await conn.execute("ANALYZE")
        print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        await conn.close()


async def measure_sweep() -> tuple[float, int, int]:
    """Time one sweep over the last interval, and a second one right after."""
    await SweepMark.update_or_create(defaults={"swept_until": NOW - INTERVAL}, name="trips")
    started, cpu = time.perf_counter(), time.process_time()
    queued = await sweep_trips(NOW)
    elapsed = time.perf_counter() - started
    CPU["sweep"] = time.process_time() - cpu
    again = await Notification.all().count()
    await sweep_trips(NOW)
    return elapsed, queued, await Notification.all().count() - again


async def measure_delivery(base: str, redis_url: str, workers: int) -> tuple[float, int]:
    """Deliver everything due with ``workers`` concurrent sender loops; seconds taken."""
    redis = make_redis(redis_url)
    await redis.delete(f"wechat:token:{APPID}")
    client = WeChatClient(APPID, SECRET, redis, api_base=base, memo_seconds=5.0)
    push = WeChatPush(client, None, APPID)
    config = NotifyConfig(subscribe_templates={"deadline": "bench-deadline"},
                          batch=200, concurrency=32)
    from borderpass.models.notify import SubscribeGrant

    user_ids = set(await Notification.all().values_list("user_id", flat=True))
    await SubscribeGrant.bulk_create([SubscribeGrant(user_id=u, template_id="bench-deadline",
                                                     remaining=10) for u in user_ids],
                                     batch_size=2000)
    await client.access_token()  # the first token fetch is not part of the rate

    async def loop() -> None:
        while await deliver_due(config, push):
            pass

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(loop() for _ in range(workers)))
    elapsed = time.perf_counter() - started
    CPU["delivery"] = time.process_time() - cpu
    sent = await Notification.filter(status=NotificationStatus.SENT).count()
    if sent < len(user_ids):
        rows = await Notification.exclude(status=NotificationStatus.SENT) \
            .filter(user_id__in=list(user_ids)[:1000]).limit(3) \
            .values("status", "last_error", "attempts", "kind", "channel", "next_at")
        print(f"  not sent, e.g.: {rows}", flush=True)
    await client.close()
    await redis.aclose()
    return elapsed, sent


def _daytime(at: datetime) -> datetime:
    """``at``, or the next 03:00 UTC (11:00 in Shanghai) after it if pushes wait then."""
    if 1 <= at.hour < 12:  # 09:00–20:00 in Shanghai: no quiet hours
        return at
    return (at + timedelta(days=1 if at.hour >= 12 else 0)).replace(
        hour=3, minute=0, second=0, microsecond=0)


async def wait_ready(base: str, seconds: float = 30.0) -> None:
    """Wait until the fake WeChat in the child process answers."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(base + "_fake/messages"):
                    return
            except aiohttp.ClientError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)


async def fake_count(base: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(base + "_fake/messages") as resp:
        return len(json.loads(await resp.read()).get("subscribe", []))


async def run_existing(args: argparse.Namespace) -> int:
    """On a database seeded by ``borderpass bench-seed``: its open trips, its reference time
    (the trips' sweep mark plus one interval); the rows this run adds are removed after and
    the mark put back, so the database is left as it was."""
    global NOW
    url = args.existing_db
    await claim_redis(args.redis)
    await init_db(url + "?maxsize=40")
    fake, first_new = None, None
    try:
        mark = await SweepMark.get(name="trips")
        NOW = mark.swept_until + INTERVAL
        last = await Notification.all().order_by("-id").first()
        first_new = last.id + 1 if last else 1
        trips = await Trip.filter(status="open").count()
        print(f"database {url}: {trips:,} open trips, reference time {NOW.isoformat()}",
              flush=True)
        clock.freeze(NOW)
        sweep_s, queued, requeued = await measure_sweep()
        openids = list(await User.filter(
            notifications__id__gte=first_new).distinct().values_list("openid", flat=True))
        port = _free_port()
        fake = multiprocessing.get_context("spawn").Process(
            target=_fake_wechat, args=(port, openids), daemon=True)
        fake.start()
        base = f"http://127.0.0.1:{port}/"
        await wait_ready(base)
        clock.freeze(_daytime(NOW))  # the seed's time may be night in Shanghai (quiet hours)
        deliver_s, sent = await measure_delivery(base, args.redis, args.workers)
        received = await fake_count(base)
    finally:
        clock.freeze(None)
        if fake is not None:
            fake.terminate()
        if first_new is not None:
            await Notification.filter(id__gte=first_new).delete()
        from borderpass.models.notify import SubscribeGrant

        await SubscribeGrant.filter(template_id="bench-deadline").delete()
        await SweepMark.filter(name="trips").update(swept_until=NOW - INTERVAL)
        await close_db()
        await claim_redis(args.redis)
    return _report(args, trips, queued, requeued, sweep_s, deliver_s, sent, received,
                   due=queued)


async def run(args: argparse.Namespace) -> int:
    if args.existing_db:
        return await run_existing(args)
    admin = args.pg
    name = args.bench_db
    await claim_redis(args.redis)
    conn = await asyncpg.connect(_pg(admin))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = database_url(admin, name)
    port = _free_port()
    fake = multiprocessing.get_context("spawn").Process(
        target=_fake_wechat, args=(port, _users(args.trips)), daemon=True)
    fake.start()
    base = f"http://127.0.0.1:{port}/"
    try:
        print(f"database {name}: migrating and seeding {args.trips:,} trips", flush=True)
        await init_db(url + "?maxsize=40")
        await seed(url, args.trips, args.due)
        clock.freeze(NOW)
        sweep_s, queued, requeued = await measure_sweep()
        await wait_ready(base)
        deliver_s, sent = await measure_delivery(base, args.redis, args.workers)
        received = await fake_count(base)
    finally:
        clock.freeze(None)
        await close_db()
        fake.terminate()
        conn = await asyncpg.connect(_pg(admin))
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
        await claim_redis(args.redis)
    return _report(args, args.trips, queued, requeued, sweep_s, deliver_s, sent, received,
                   due=args.due)


def _report(args: argparse.Namespace, trips: int, queued: int, requeued: int, sweep_s: float,
            deliver_s: float, sent: int, received: int, due: int) -> int:
    rate = sent / deliver_s if deliver_s else 0.0
    rows = [
        ("open trips", f"{trips:,}", ""),
        ("reminders due", f"{due:,}", ""),
        ("sweep: rows queued", f"{queued:,}", f"= {due:,}"),
        ("sweep: time", f"{sweep_s:.3f} s", f"<= {SWEEP_TARGET:.0f} s"),
        ("second sweep: rows queued", f"{requeued:,}", "= 0"),
        ("delivery: sent", f"{sent:,} in {deliver_s:.2f} s", ""),
        ("delivery: rate", f"{rate:,.0f} msg/s", f">= {RATE_TARGET:.0f} msg/s"),
        ("sender CPU per message", f"{CPU['delivery'] / max(sent, 1) * 1000:.2f} ms", ""),
        ("sweep CPU (this process)", f"{CPU['sweep']:.3f} s", ""),
        ("load average at the end", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", ""),
        ("fake WeChat received", f"{received:,}", f"= {sent:,} (once each)"),
    ]
    print(f"\n{'figure':<28}{'measured':>22}  target")
    for label, value, target in rows:
        print(f"{label:<28}{value:>22}  {target}")
    ok = (queued == due and requeued == 0 and sweep_s <= SWEEP_TARGET
          and rate >= RATE_TARGET and received == sent == due)
    print("\nall targets met" if ok else "\nsome target missed")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    add_arguments(parser, sqlite=False)
    args = parser.parse_args()
    if not (args.bench_db or args.existing_db) or not args.redis:
        parser.error("name the databases this benchmark wipes: --bench-db (or --existing-db) "
                     "and --redis")
    if args.existing_db and not os.environ.get("BORDERPASS_DATA_KEY"):
        parser.error("--existing-db: set BORDERPASS_DATA_KEY to the data key it was seeded "
                     "with")
    if args.due > args.trips:
        parser.error("--due cannot exceed --trips")
    return loop.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
