"""Gate benchmark: 50 lanes over WebSocket against ``borderpass serve`` on PostgreSQL + Redis.

Starts the bridge (``serve --processes N``, default one process per core but the one
PostgreSQL needs here, sharing the port) on a fresh PostgreSQL database and Redis DB named
by ``--bench-db`` and ``--redis`` (both are wiped; or, with ``--sqlite``, one process on
the embedded defaults), seeds lanes and
passes of every kind (valid, expired, wrong direction, blacklisted; replayed and forged
ones are made from them), then drives the lanes with ``borderpass.gate_bridge.sim`` — open
loop, each lane on a fixed schedule, latency from the scheduled send time to the command's
arrival (so a slow bridge cannot hide its queue), every command acked as a lane would.

1. a warm-up, then the target rate (default 500 scans/s): decision latency p50/p99;
2. a ramp of higher rates: the highest rate the bridge sustains (it answers >= 97 % of the
   offered scans within the run and p99, counted from the due time, stays under 100 ms).

Decision latency is counted from the moment each scan is sent; the p99 from the moment it
was due is printed beside it (the generator's timers work in whole milliseconds and its
loop shares the cores, so its sends are up to a few ms late: that is not the bridge's).

After the table it prints the CPU each process spent per scan (bridge, PostgreSQL — all of
it and the bench database's backends alone —, Redis, this load generator, the whole
machine) and the host's speed before the run; before the lanes start, the CPU per scan of
a scan and its ack at a batch of one (the figure a busy shared host changes least). Before the
lanes start it measures the commit cost of the durable record alone (issue 17): a batch of
1 and of 20 scan-like events (lane event, crossing, two ledger entries, a command in the
outbox, the used mark) each in one transaction, straight from this process.

Targets (issue, 2 cores): p99 <= 5 ms at 500 scans/s; >= 2,000 scans/s peak. The load
generator shares the machine with the bridge, PostgreSQL and Redis.

    .venv/bin/python bench/gate.py --bench-db borderpass_bench_gate
                                   --redis redis://127.0.0.1:6379/13 [--lanes 50] [--rate 500]
                                   [--duration 10] [--ramp 1500,2000,2500] [--processes N]
                                   [--sqlite]

``--pg`` (default ``BORDERPASS_BENCH_PG``) names the PostgreSQL server (it may be reached
through its socket: ``postgres://postgres@/postgres?host=/var/run/postgresql``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from api import host_speed  # as in bench/api.py
from benchdb import add_arguments, check, claim_redis, database_url

from borderpass.adapters import loop
from borderpass.adapters.db import close_db, init_db
from borderpass.adapters.kv import make_redis
from borderpass.adapters.storage import FileStore
from borderpass.core.crypto import FieldCipher
from borderpass.gate_bridge import sim, sim_seed
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.ports import Deps

DATA_KEY = "YmVuY2gtZ2F0ZS1iZW5jaC1nYXRlLWJlbmNoLWdhdGU="  # 32 bytes, bench only
P99_TARGET, RATE_TARGET, PEAK_TARGET = 5.0, 500.0, 2000.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _pg(admin: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def _backends(args: argparse.Namespace,
                    data_dir: Path) -> AsyncIterator[tuple[str, str]]:
    if args.sqlite:
        yield f"sqlite://{data_dir / 'bench.sqlite3'}", ""
        return
    if args.existing_db:  # a seeded database: used as it is, never dropped
        await claim_redis(args.redis)
        try:
            yield args.existing_db, args.redis
        finally:
            await claim_redis(args.redis)
        return
    name = args.bench_db
    global _BENCH_DB
    _BENCH_DB = name
    await _pg(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _pg(args.pg, f'CREATE DATABASE "{name}"')
    await claim_redis(args.redis)
    try:
        yield database_url(args.pg, name), args.redis
    finally:
        await _pg(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await claim_redis(args.redis)


_BENCH_DB = ""  # the bench database's name: its PostgreSQL backends are counted apart


def _cpu_by_process() -> dict[str, float]:
    """CPU seconds so far of the bridge's processes, the ledger worker, PostgreSQL (all of
    the server, and the backends serving the bench database alone: other users of a shared
    server do not count there), Redis, this load generator, and the whole machine."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {"server": 0.0, "worker": 0.0, "PostgreSQL": 0.0, "PG bench backends": 0.0,
             "Redis": 0.0, "load generator": time.process_time()}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1: stat.rindex(")")]
        fields = stat.rpartition(")")[2].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        if b"borderpass.app.cli serve" in cmdline:
            found["server"] += seconds
        elif b"borderpass.app.cli worker" in cmdline:
            found["worker"] += seconds
        elif comm == "postgres":
            found["PostgreSQL"] += seconds
            if _BENCH_DB and f" {_BENCH_DB} ".encode() in cmdline:
                found["PG bench backends"] += seconds
        elif comm.startswith("redis-server"):
            found["Redis"] += seconds
    total = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    found["machine"] = (sum(int(x) for x in total) - int(total[3]) - int(total[4])) / tick
    return found


async def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            if proc.poll() is not None:
                raise RuntimeError("server exited")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{url}/gate/keys") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def _commit_cost(rounds: int = 100) -> None:
    """Time the durable record alone: batches of 1 and 20 scan-like events, one transaction
    each (the work a loop turn's commit does; nothing else runs meanwhile)."""
    from borderpass.services import clock
    from borderpass.services.gate import gate_record, ledger

    for size in (1, 20):
        spent, cpu = 0.0, 0.0
        for r in range(rounds):
            now = clock.now()
            events = []
            for i in range(size):
                eid = f"cost-{size}-{r}-{i}"
                text = '{"type":"command","event_id":"' + eid + ':cmd","action":"open"}'
                entries = [ledger.entry("scan", "cost-lane", at=now, event_id=eid,
                                        outcome="open", reason="pass_valid"),
                           ledger.entry("command", "cost-lane", at=now, event_id=eid + ":cmd",
                                        outcome="open", reason="pass_valid")]
                events.append(gate_record.Event(
                    "cost-lane", eid, "scan", now, gate_record.Variant(text, entries,
                                                                      (eid + ":cmd", text)),
                    release=gate_record.Release(None, "exit", "emergency", "bench",
                                                if_approved=False)))
            wall, proc_cpu = time.perf_counter(), time.process_time()
            await gate_record.record(events, now)
            spent += time.perf_counter() - wall
            cpu += time.process_time() - proc_cpu
        print(f"commit cost, batch of {size:>2}: {1000 * spent / rounds:.2f} ms per transaction "
              f"({1000 * spent / rounds / size:.3f} ms per event; this process's CPU "
              f"{1000 * cpu / rounds / size:.3f} ms per event)", flush=True)


COST_SCANS = 200  # valid passes kept aside for the scan cost below


async def _scan_cost(gate: GateDeps, world: sim_seed.SimWorld) -> None:
    """CPU per scan at a batch of one, the load-independent figure: scans of the lane mix,
    each followed by its ack, one at a time through the bridge's dispatch in this process
    (no WebSocket); this process's CPU and that of the bench database's PostgreSQL backends
    (the WAL flush of each commit included; other databases' work is not)."""
    import json

    from borderpass.gate_bridge import protocol
    from borderpass.gate_bridge.dispatch import handle
    from borderpass.models.gate import Lane

    spare = world.passes["valid"][-COST_SCANS:]
    del world.passes["valid"][-COST_SCANS:]  # the lane run never sees these passes
    picker = sim.Picker(sim_seed.SimWorld(world.lanes, world.passes | {"valid": spare}), 7)
    lanes = [await Lane.get(code=code) for code, _ in world.lanes]
    before, cpu = _cpu_by_process()["PG bench backends"], time.process_time()
    for n in range(COST_SCANS):
        lane = lanes[n % len(lanes)]
        _, text, _ = picker.next()
        command = json.loads(await handle(gate, lane, protocol.check(
            {"type": "scan", "event_id": f"cost-s{n}", "qr": text})))
        await handle(gate, lane, protocol.check({"type": "ack", "event_id": f"cost-a{n}",
                                                 "command_id": command["event_id"]}))
    bridge = 1000 * (time.process_time() - cpu) / COST_SCANS
    pg = 1000 * (_cpu_by_process()["PG bench backends"] - before) / COST_SCANS
    print(f"scan + ack at a batch of one ({COST_SCANS}, in this process): CPU per scan "
          f"bridge {bridge:.2f} ms, PostgreSQL (bench backends) {pg:.2f} ms", flush=True)


async def main(args: argparse.Namespace) -> int:
    global DATA_KEY
    if args.existing_db:
        DATA_KEY = os.environ["BORDERPASS_DATA_KEY"]  # the seeded database's keyring
    ramp = [float(r) for r in args.ramp.split(",") if r]
    phases = [("warm-up", args.rate, 3.0), ("target", args.rate, args.duration)]
    phases += [("ramp", r, args.duration) for r in ramp]
    valid = int(sum(r * d for _, r, d in phases) * sim.MIX["valid"] * 1.15) + 100 + COST_SCANS
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        async with _backends(args, data_dir) as (db_url, redis_url):
            await init_db(db_url)
            redis = make_redis(redis_url)
            import base64

            cipher = FieldCipher(base64.b64decode(DATA_KEY))
            deps = Deps(cipher, FileStore(data_dir / "up", cipher), redis,
                        ZoneInfo("Asia/Shanghai"))
            gate = GateDeps.build(deps)
            started = time.perf_counter()
            world = await sim_seed.seed(gate, args.lanes, {
                "valid": valid, "expired": 200, "wrong_direction": 200, "blacklisted": 200})
            print(f"seeded {args.lanes} lanes and {valid + 600} passes in "
                  f"{time.perf_counter() - started:.1f} s; host speed {host_speed():.2f} s per "
                  "10 M-step loop (about 0.3 when quiet)", flush=True)
            await _commit_cost()
            if not args.sqlite:
                await _scan_cost(gate, world)
            await redis.aclose()
            await close_db()
            port = _free_port()
            env = os.environ | {
                "BORDERPASS_DATABASE_URL": db_url, "BORDERPASS_REDIS_URL": redis_url,
                "BORDERPASS_DATA_DIR": str(data_dir), "BORDERPASS_DATA_KEY": DATA_KEY,
                "BORDERPASS_SWEEP_INTERVAL": "0", "BORDERPASS_LOG_LEVEL": "WARNING",
                "BORDERPASS_NOTIFY_WORKER": "0"}
            # The bridge serves the lanes and writes the ledger in each scan's commit (R-G6).
            proc = subprocess.Popen([sys.executable, "-m", "borderpass.app.cli", "serve",
                                     "--port", str(port), "--processes",
                                     str(1 if args.sqlite else args.processes)],
                                    env=env, stdout=subprocess.DEVNULL)
            url = f"http://127.0.0.1:{port}"
            loop.settle_heap()  # the load generator's own GC pauses are not the bridge's
            try:
                await _wait_up(url, proc)
                return await _run(url, world, phases)
            finally:
                proc.terminate()
                proc.wait(10)


async def _run(url: str, world: sim_seed.SimWorld,
               phases: list[tuple[str, float, float]]) -> int:
    print("Latency from each scan's send to its command (p50, p99, max), and p99 from the moment "
          "it was due (open loop: the generator's own delays added).")
    print(f"{'phase':<8} {'offered/s':>9} {'done/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'p99 due':>7} {'errors':>6} {'srv CPU ms/scan':>15} "
          f"{'machine busy':>12}  decisions")
    best, target_p99 = 0.0, float("nan")
    picker = sim.Picker(world, 1)
    shares: list[str] = []
    for name, rate, seconds in phases:
        before = _cpu_by_process()
        report = await sim.run(url, world, rate, seconds, picker=picker)
        after = _cpu_by_process()
        cpu = {k: after[k] - before[k] for k in after}
        scans = max(1, len(report.outcomes))
        done = len(report.outcomes) / seconds
        busy = cpu["machine"] / seconds / (os.cpu_count() or 1)
        p50, p99 = report.percentile(50), report.percentile(99)
        p99_due = report.percentile(99, scheduled=True)
        kinds = {k: sum(1 for o in report.outcomes if o.kind == k and
                        o.reason == sim.EXPECTED[k]) for k in sim.MIX}
        wrong = sum(1 for o in report.outcomes if o.reason != sim.EXPECTED[o.kind])
        print(f"{name:<8} {rate:>9.0f} {done:>8.0f} {p50:>7.2f} {p99:>7.2f} "
              f"{report.percentile(100):>7.1f} {p99_due:>7.2f} {sum(report.errors.values()):>6} "
              f"{1000 * cpu['server'] / scans:>15.2f} {busy:>12.0%}  "
              f"as expected {sum(kinds.values())}, unexpected {wrong}", flush=True)
        late = sorted(report.send_late_ms) or [0.0]
        shares.append(f"{name:<8} {rate:>9.0f}  sent late p50/p99 {late[len(late) // 2]:.2f}/"
                      f"{late[int(0.99 * len(late))]:.2f} ms; " + ", ".join(
            f"{k} {1000 * v / scans:.3f}" for k, v in cpu.items() if v > 0))
        sustained = len(report.outcomes) >= 0.97 * report.offered and p99_due < 100
        if name == "target":
            target_p99 = p99
        if name != "warm-up" and sustained:
            best = max(best, rate)
        await asyncio.sleep(1)
    print("\nHow late the load generator sent its scans (part of the latency), and the CPU ms "
          "per scan by process (server = every bridge process):")
    print("\n".join(shares))
    print(f"\np99 at {phases[1][1]:.0f} scans/s: {target_p99:.2f} ms (target <= {P99_TARGET} ms)"
          f"\nhighest sustained: {best:.0f} scans/s (target >= {PEAK_TARGET:.0f})")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", type=int, default=50)
    parser.add_argument("--rate", type=float, default=RATE_TARGET)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--ramp", default="1500,2000,2500")
    parser.add_argument("--processes", type=int, default=max(1, (os.cpu_count() or 1) - 1),
                        help="bridge processes (serve --processes; default one per core "
                             "but the one PostgreSQL needs on this host)")
    add_arguments(parser)
    args = parser.parse_args()
    check(parser, args)
    sys.exit(loop.run(main(args)))
