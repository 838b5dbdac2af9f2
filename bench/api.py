"""API benchmark: a filing read and a declaration create against one ``borderpass serve``.

Starts the server as one process on a fresh PostgreSQL database and Redis DB (named by
``--bench-db`` and ``--redis``: both are wiped), with a
``borderpass worker`` process beside it sending the pushes (as in production; or, with
``--sqlite``, one process on the embedded defaults), logs drivers in through a local fake
WeChat, seeds approved filings through the real services, then measures

1. closed-loop reads: ``GET /api/v1/filings/{id}`` by N concurrent clients for T seconds;
2. open-loop writes: ``POST /api/v1/declarations`` at a constant arrival rate for T seconds,
   each on a filing of its own that alternates exit and entry (R-F7: no second exit before
   an entry). Latency counts from the scheduled send time, so a slow server cannot hide
   its queue (no coordinated omission).

Each phase first runs ``--warmup`` seconds unmeasured at the same load (connections,
prepared statements, the worker catching up), as a server in service is warm.

Target (issue, 2 cores, one server process): >= 1,500 reads/s; p99 <= 50 ms at 500 writes/s.
The load generator shares the machine with the server, the worker and PostgreSQL.

    .venv/bin/python bench/api.py --bench-db borderpass_bench --redis redis://127.0.0.1:6379/14
                                  [--duration 10] [--concurrency 32] [--rate 500] [--sqlite]
                                  [--warmup 2] [--timeline]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import io
import json
import os
import random
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from benchdb import add_arguments, check, claim_redis, database_url

from borderpass.adapters import loop
from borderpass.adapters.db import close_db, init_db
from borderpass.adapters.kv import make_redis
from borderpass.adapters.storage import FileStore
from borderpass.core.config import Settings
from borderpass.core.crypto import FieldCipher
from borderpass.models import FilingDriver, User
from borderpass.models.enums import FilingCategory, Role
from borderpass.services.filings import documents, filings, review
from borderpass.services.filings.requirements import (
    PER_DRIVER_DOCUMENTS,
    base_documents,
    driver_slot,
)
from borderpass.services.identity import users
from borderpass.services.ports import Deps
from borderpass.services.privacy import privacy
from borderpass.services.validators import make_id_number, make_vin
from borderpass_dev.fake_wechat import FakeWeChat

APPID, SECRET = "wxbenchminiapp", "bench-miniapp-secret"
READ_TARGET = 1500.0  # reads/s
WRITE_P99_TARGET = 50.0  # ms at the offered rate
WRITE_RATE_TARGET = 500.0  # writes/s
LOCAL = "127.0.0.1"


@dataclass
class Writer:
    """One driver's approved filing; its next declaration goes the other way (R-F7)."""

    token: str
    filing_id: int
    driver_id: int
    direction: str = "exit"


@dataclass
class Result:
    """Latencies (seconds) and error counts of one phase."""

    latencies: list[float] = field(default_factory=list)
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (sent at, latency) s
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by whom, in the phase

    def pct(self, q: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


# -- environment: database, Redis, server ---------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCAL, 0))
        port: int = sock.getsockname()[1]
        return port


async def _pg_admin(url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def host_speed() -> float:
    """Seconds this machine takes for 10 M additions in a Python loop, measured now: the
    host under these benchmarks varies (about 0.3 s when quiet, up to nearly twice that
    when busy), and every figure moves with it, so each run prints it beside its figures."""
    started, total = time.perf_counter(), 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started


def _cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server, this load generator and the whole machine (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        stat = Path(f"/proc/{server_pid}/stat").read_text().rpartition(")")[2].split()
        total = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return {}
    busy = sum(int(x) for x in total) - int(total[3]) - int(total[4])  # minus idle, iowait
    return {"server": (int(stat[11]) + int(stat[12])) / tick,
            "loadgen": time.process_time(), "machine": busy / tick}


def _cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before[k] for k in after if k in before}


@contextlib.asynccontextmanager
async def _child(args: list[str], env: dict[str, str],
                 log_path: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """A ``borderpass`` subprocess, logging to ``log_path``; terminated on exit."""
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "borderpass.app.cli", *args, env=env, stdout=log,
            stderr=log)
        try:
            yield proc
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 15)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


@contextlib.asynccontextmanager
async def server(env: dict[str, str], port: int, log_path: Path) -> AsyncIterator[int]:
    """Run ``borderpass serve`` as one subprocess until it listens; stop it on exit."""
    async with _child(["serve", "--host", LOCAL, "--port", str(port)], env, log_path) as proc:
        await _wait_listening(proc, port, log_path)
        yield proc.pid


@contextlib.asynccontextmanager
async def worker(env: dict[str, str], log_path: Path) -> AsyncIterator[None]:
    """Run ``borderpass worker`` (push sender, sweeps) beside the server, as in production,
    or nothing on the embedded defaults (their in-process Redis cannot be shared)."""
    if not env.get("BORDERPASS_REDIS_URL"):
        yield
        return
    async with _child(["worker"], env, log_path):
        yield


async def _wait_listening(proc: asyncio.subprocess.Process, port: int, log_path: Path) -> None:
    url = f"http://{LOCAL}:{port}/api/v1/openapi.json"
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                break
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.2)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise SystemExit(f"server did not start listening on {port}:\n{tail}")


# -- seeding ----------------------------------------------------------------------------------


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(buf, "JPEG")
    return buf.getvalue()


VIN_OFFSET = [0]  # on an existing database: past runs' vehicles, so each VIN stays unique


def filing_body(i: int) -> dict[str, Any]:
    """A complete personal filing of vehicle ``i`` (unique plate, VIN and owner)."""
    v = i + VIN_OFFSET[0]
    owner = make_id_number("533102", date(1960, 1, 1) + timedelta(days=i // 500), i % 500 * 2 + 1)
    return {
        "category": "personal",
        "vehicle": {"plate_number": f"云N{i:05d}", "vin": make_vin(f"LSVAM4187C{v:06d}"),
                    "vehicle_type": "小型轿车", "model": "大众牌SVW7", "owner_name": "岩温",
                    "register_date": "2019-05-01", "licence_kind": "paper",
                    "mortgaged": False},
        "owner": {"id_number": owner, "is_applicant": True},
        "drivers": [{"name": "岩温", "id_number": owner, "licence_number": owner,
                     "permit_number": "C12345678", "phone": "13812345678", "is_owner": True}],
    }


async def login(session: aiohttp.ClientSession, base: str, fake: FakeWeChat, i: int) -> Any:
    """Log driver ``i`` in as the mini-program does: wx.login code → our session token."""
    code = fake.issue_login_code(f"o-bench-{i:05d}")
    async with session.post(f"{base}/api/v1/auth/wx-login", json={"code": code}) as resp:
        data = await resp.json()
        if resp.status != 200:
            raise SystemExit(f"login failed: {resp.status} {data}")
        return data


async def seed_filing(deps: Deps, reviewer: User, user_id: int, i: int) -> tuple[int, int]:
    """Upload the documents, create, submit and approve filing ``i``; its id and driver id."""
    user = await User.get(id=user_id)
    body = filing_body(i)
    slots = [*base_documents(FilingCategory.PERSONAL),
             *(driver_slot(k, 0) for k in PER_DRIVER_DOCUMENTS)]
    await privacy.give(user, privacy.notice(user.locale), "miniapp")  # R-D1
    body["documents"] = {s: (await documents.upload(deps, user, s.split("#")[0], JPEG)).id
                         for s in slots}
    filing = await filings.create(deps, user, body)
    await filings.submit(deps, user, filing.id)
    await review.approve(reviewer, filing.id)
    driver = await FilingDriver.get(filing_id=filing.id)
    return filing.id, driver.id


JPEG = _jpeg()


async def seed(settings: Settings, base: str, fake: FakeWeChat, count: int,
               parallel: int) -> list[Writer]:
    """``count`` drivers, each logged in through the API with one approved filing."""
    async with aiohttp.ClientSession() as session:
        sem = asyncio.Semaphore(16)

        async def one_login(i: int) -> Any:
            async with sem:
                return await login(session, base, fake, i)

        logins = await asyncio.gather(*(one_login(i) for i in range(count)))
    await init_db(settings.db_url, apply_migrations=False)
    try:
        cipher = FieldCipher(base64.b64decode(settings.data_key))  # the server's key
        deps = Deps(cipher=cipher, files=FileStore(settings.data_dir / "uploads", cipher),
                    kv=make_redis(settings.redis_url), tz=ZoneInfo(settings.timezone))
        from borderpass.models import Filing

        VIN_OFFSET[0] = await Filing.filter(vin__startswith="LSVAM4187C").count()
        reviewer = await User.get_or_none(username="bench-reviewer") or \
            await users.add_staff("bench-reviewer", "correct-horse-1", [Role.REVIEWER.value])
        gate = asyncio.Semaphore(parallel)

        async def one(i: int) -> Writer:
            async with gate:
                token, user_id = logins[i]["token"], logins[i]["user"]["id"]
                filing_id, driver_id = await seed_filing(deps, reviewer, user_id, i)
            return Writer(token, filing_id, driver_id)

        return list(await asyncio.gather(*(one(i) for i in range(count))))
    finally:
        await close_db()


# -- load -------------------------------------------------------------------------------------


async def read_phase(session: aiohttp.ClientSession, base: str, writers: list[Writer],
                     concurrency: int, duration: float, warmup: float, pid: int) -> Result:
    """Closed loop: each client reads a random seeded filing as its owner, back to back."""
    result = Result()
    targets = [(f"{base}/api/v1/filings/{w.filing_id}", {"Authorization": f"Bearer {w.token}"})
               for w in writers]
    start = time.perf_counter()
    measure_from, stop = start + warmup, start + warmup + duration

    async def client(seed: int) -> None:
        rng = random.Random(seed)
        while (t0 := time.perf_counter()) < stop:
            url, headers = rng.choice(targets)
            try:
                async with session.get(url, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = type(exc).__name__  # type: ignore[assignment]
            if t0 < measure_from:
                continue
            if status == 200:
                result.latencies.append(time.perf_counter() - t0)
            else:
                result.errors[str(status)] += 1

    async def meter() -> None:
        await asyncio.sleep(warmup)
        before = _cpu_seconds(pid)
        await asyncio.sleep(max(0.0, stop - time.perf_counter()))
        result.cpu = _cpu_delta(before, _cpu_seconds(pid))

    await asyncio.gather(meter(), *(client(i) for i in range(concurrency)))
    result.elapsed = stop - measure_from
    return result


async def write_phase(session: aiohttp.ClientSession, base: str, writers: list[Writer],
                      rate: float, duration: float, warmup: float, pid: int) -> Result:
    """Open loop: one declaration every 1/rate s, each on a free filing; latency from schedule.
    The first ``warmup`` seconds run at the same rate unmeasured (errors still count)."""
    result = Result()
    free = deque(writers)
    url = f"{base}/api/v1/declarations"
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    last_done = 0.0

    async def declare(w: Writer, due: float) -> None:
        nonlocal last_done
        body = json.dumps({"filing_id": w.filing_id, "driver_id": w.driver_id,
                           "direction": w.direction, "port": "ruili"}).encode()
        headers = {"Authorization": f"Bearer {w.token}", "Content-Type": "application/json",
                   "Idempotency-Key": uuid.uuid4().hex}
        try:
            async with session.post(url, data=body, headers=headers) as resp:
                answer = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            result.errors[type(exc).__name__] += 1
            free.append(w)
            return
        last_done = loop.time()
        if status == 201:
            if due >= measure_from:
                result.latencies.append(last_done - due)
                result.timeline.append((due - measure_from, last_done - due))
            # a trip opens when a lane records the exit, not at the declaration (trips
            # follow crossings): without lanes here the vehicle never leaves, so it
            # declares its exit again rather than an entry the server would refuse
        else:
            code = json.loads(answer).get("error", {}).get("code", "?") if answer else "?"
            result.errors[f"{status} {code}"] += 1
            if code in ("trip_open", "no_open_trip"):  # resynchronise with the server
                w.direction = "entry" if code == "trip_open" else "exit"
        free.append(w)

    start = loop.time() + 0.05
    measure_from = start + warmup
    before: dict[str, float] = {}
    loop.call_at(measure_from, lambda: before.update(_cpu_seconds(pid)))
    for k in range(int(rate * (warmup + duration))):
        due = start + k / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        if not free:
            result.errors["no free filing (server too slow)"] += 1
            continue
        task = asyncio.create_task(declare(free.popleft(), due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    result.elapsed = max(last_done, measure_from + duration) - measure_from
    result.cpu = _cpu_delta(before, _cpu_seconds(pid))
    return result


# -- report -----------------------------------------------------------------------------------


def print_stalls(timeline: list[tuple[float, float]], limit: float) -> None:
    """Each 100 ms of the write phase whose slowest write took over ``limit`` seconds: when
    the tail happens (one stall, or many)."""
    worst: dict[int, float] = {}
    for sent, latency in timeline:
        worst[int(sent * 10)] = max(worst.get(int(sent * 10), 0.0), latency)
    slow = [f"{k / 10:.1f} s: {v * 1000:.0f} ms" for k, v in sorted(worst.items()) if v > limit]
    print(f"write windows over {limit * 1000:.0f} ms ({len(slow)} of {len(worst)}): "
          + (", ".join(slow) or "none"))


def report(args: argparse.Namespace, reads: Result, writes: Result) -> bool:
    """Print the aligned table; True when every target is met."""
    errors_w = sum(writes.errors.values())
    offered = args.rate
    rows: list[tuple[str, str, str, str]] = [
        (f"read req/s (GET filing, c={args.concurrency})", f"{reads.rate:,.0f}",
         f">= {READ_TARGET:,.0f}", _verdict(reads.rate >= READ_TARGET)),
        ("read p50 ms", f"{reads.pct(0.50):.1f}", "", ""),
        ("read p99 ms", f"{reads.pct(0.99):.1f}", "", ""),
        ("read errors", str(sum(reads.errors.values())), "0",
         _verdict(not reads.errors)),
        *_cpu_rows("read", reads),
        (f"write req/s achieved (offered {offered:,.0f})", f"{writes.rate:,.1f}",
         f">= {0.98 * offered:,.0f}", _verdict(writes.rate >= 0.98 * offered)),
        ("write p50 ms", f"{writes.pct(0.50):.1f}", "", ""),
        ("write p99 ms", f"{writes.pct(0.99):.1f}", f"<= {WRITE_P99_TARGET:.0f}",
         _verdict(writes.pct(0.99) <= WRITE_P99_TARGET)),
        ("write errors", str(errors_w), "0", _verdict(errors_w == 0)),
        *_cpu_rows("write", writes),
    ]
    widths = [max(len(r[i]) for r in [("metric", "value", "target", "result"), *rows])
              for i in range(4)]
    for row in [("metric", "value", "target", "result"), *rows]:
        print("  ".join(c.ljust(w) if i != 1 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())
    for name, res in (("read", reads), ("write", writes)):
        for what, n in res.errors.most_common(5):
            print(f"  {name} error: {what} x{n}")
    if offered < WRITE_RATE_TARGET:
        print(f"  note: the write target is p99 at {WRITE_RATE_TARGET:.0f}/s; "
              f"this run offered {offered:,.0f}/s")
    verdicts = [r[3] for r in rows if r[3]]
    return all(v == "pass" for v in verdicts)


def _cpu_rows(name: str, res: Result) -> list[tuple[str, str, str, str]]:
    """Where the CPU went: server per request, and server/loadgen/rest as % of one core."""
    if not res.cpu or not res.latencies:
        return []
    pct = {k: 100 * v / res.elapsed for k, v in res.cpu.items()}
    rest = pct["machine"] - pct["server"] - pct["loadgen"]
    return [
        (f"{name} server CPU ms/req", f"{1000 * res.cpu['server'] / len(res.latencies):.2f}",
         "", ""),
        (f"{name} CPU % server/loadgen/rest", f"{pct['server']:.0f}/{pct['loadgen']:.0f}/"
         f"{rest:.0f}", f"of {100 * (os.cpu_count() or 1)}", ""),
    ]


def _verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def _server_errors(log_path: Path, limit: int = 3) -> None:
    """Name the distinct errors the server logged, so a 500 is not a mystery."""
    seen: Counter[str] = Counter()
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith(("tortoise.exceptions.", "asyncpg.exceptions.", "redis.exceptions.")):
            seen[line[:160]] += 1
        elif line.startswith("{") and '"level": "ERROR"' in line:
            entry = json.loads(line)
            cause = entry.get("exc", "").strip().rpartition("\n")[2]
            seen[f"{entry.get('msg', '')}: {cause}"[:160]] += 1
    for what, n in seen.most_common(limit):
        print(f"  server log: {what} x{n}")


# -- main -------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix="borderpass-bench-"))
    fake = FakeWeChat(apps={APPID: SECRET})
    await fake.start(LOCAL)
    assert fake.base_url is not None
    port = _free_port()
    data_key = base64.b64encode(os.urandom(32)).decode()
    if args.existing_db:
        data_key = os.environ["BORDERPASS_DATA_KEY"]  # the seeded database's keyring
    db_name = args.bench_db
    env = {k: v for k, v in os.environ.items() if not k.startswith("BORDERPASS_")}
    env |= {"BORDERPASS_DATA_DIR": str(tmp / "var"), "BORDERPASS_DATA_KEY": data_key,
            "BORDERPASS_WECHAT_API_BASE": fake.base_url, "BORDERPASS_MINIAPP_APPID": APPID,
            "BORDERPASS_MINIAPP_SECRET": SECRET}
    if args.sqlite:
        db_url, redis_url = "", ""
        backend = "SQLite + in-process fakeredis (embedded defaults)"
    elif args.existing_db:  # a seeded database: used as it is, never dropped
        db_url, redis_url = args.existing_db, args.redis
        backend = f"PostgreSQL {db_url} (existing, seeded) + Redis {redis_url}"
        await claim_redis(redis_url)
        env |= {"BORDERPASS_DATABASE_URL": db_url, "BORDERPASS_REDIS_URL": redis_url}
    else:
        db_url = database_url(args.pg, db_name)
        redis_url = args.redis
        backend = f"PostgreSQL {db_url} + Redis {redis_url}"
        await _pg_admin(args.pg, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)',
                        f'CREATE DATABASE "{db_name}"')
        await claim_redis(redis_url)
        env |= {"BORDERPASS_DATABASE_URL": db_url, "BORDERPASS_REDIS_URL": redis_url}
    settings = Settings.from_env(env)
    count = args.filings or max(args.concurrency, int(args.rate // 2), 50)
    idle_load = os.getloadavg()[0]
    print(f"backend: {backend}; {os.cpu_count()} CPUs; one server process; "
          f"{count} approved filings; load average before start {idle_load:.2f}; "
          f"host speed {host_speed():.2f} s per 10 M-step loop (about 0.3 when quiet)")
    base = f"http://{LOCAL}:{port}"
    try:
        # The server answers requests; a worker process sends the pushes and runs the sweeps.
        serving = env | ({"BORDERPASS_NOTIFY_WORKER": "0", "BORDERPASS_SWEEP_INTERVAL": "0"}
                         if not args.sqlite else {})
        async with server(serving, port, tmp / "server.log") as pid, \
                worker(env, tmp / "worker.log"):  # after the server has migrated
            t0 = time.perf_counter()
            writers = await seed(settings, base, fake, count, 1 if args.sqlite else 8)
            loop.settle_heap()  # the load generator's own GC pauses are not the server's
            print(f"seeded in {time.perf_counter() - t0:.1f} s; "
                  f"phases of {args.duration:g} s, each after {args.warmup:g} s unmeasured")
            timeout = aiohttp.ClientTimeout(total=10)
            connector = aiohttp.TCPConnector(limit=max(args.concurrency, 256))
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                reads = await read_phase(session, base, writers, args.concurrency,
                                         args.duration, args.warmup, pid)
                writes = await write_phase(session, base, writers, args.rate, args.duration,
                                           args.warmup, pid)
        _server_errors(tmp / "server.log")
    finally:
        await fake.close()
        if not args.sqlite and not args.keep_db:
            if not args.existing_db:
                await _pg_admin(args.pg, f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
            await claim_redis(redis_url)
        if args.keep_db:
            print(f"kept: {db_url or settings.db_url}, {redis_url or 'fakeredis'}, {tmp}")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    ok = report(args, reads, writes)
    if args.timeline:
        print_stalls(writes.timeline, WRITE_P99_TARGET / 1000)
    if idle_load > 0.5:
        print(f"  warning: load average {idle_load:.1f} before start: other work shares "
              "the CPUs, so these figures are pessimistic")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--timeline", action="store_true",
                        help="also list each 100 ms of writes whose slowest was over target")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="unmeasured seconds before each phase")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent readers")
    parser.add_argument("--rate", type=float, default=WRITE_RATE_TARGET,
                        help="declarations offered per second")
    parser.add_argument("--filings", type=int, default=0,
                        help="approved filings to seed (default: max(concurrency, rate/2, 50))")
    parser.add_argument("--keep-db", action="store_true",
                        help="keep the bench database, Redis keys and data dir")
    add_arguments(parser)
    args = parser.parse_args()
    check(parser, args)
    return 0 if loop.run(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
