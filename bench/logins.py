"""Login benchmark: does password hashing stall a scanning lane? (issue 16, R-U7)

In one process, on the embedded defaults (SQLite + in-process Redis), the whole app serves
one lane over WebSocket that scans back to back (closed loop), while a loop-lag probe
wakes every 5 ms and records how late it wakes (the longest event-loop stall). Phases:

1. ``scans``: scans alone;
2. ``pool``: scans while 6 wrong staff logins arrive at once (argon2 in the thread pool);
3. ``on-loop``: scans while the same 6 argon2 checks run on the event loop, as before the
   fix (for comparison only: no server does this any more).

It prints one argon2 check's time, then per phase the scans answered, scan latency
p50/p99/max and the worst loop stall.

    .venv/bin/python bench/logins.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from borderpass.app.factory import create_app
from borderpass.core.config import Settings
from borderpass.gate_bridge import sim_seed
from borderpass.services import clock
from borderpass.services.crossings import pass_tokens
from borderpass.services.identity import passwords, users
from borderpass.web.appkeys import GATE

PARALLEL = 6
KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # bench only


class Probe:
    """The worst lateness of a task that asks to wake every 5 ms."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, loop.time() - start - 0.005)


async def _scans(ws: Any, text: str, done: asyncio.Event) -> list[float]:
    latencies: list[float] = []
    while not done.is_set() or len(latencies) < 20:
        start = time.perf_counter()
        await ws.send_json({"type": "scan", "event_id": f"s{time.monotonic_ns()}", "qr": text})
        while json.loads((await ws.receive(timeout=30)).data)["type"] != "command":
            pass
        latencies.append(time.perf_counter() - start)
    return latencies


async def _load(phase: str, client: TestClient, stored: str) -> None:
    if phase == "scans":
        await asyncio.sleep(1.5)
    elif phase == "pool":
        answers = await asyncio.gather(*(client.post(
            "/api/v1/auth/staff-login",
            json={"username": f"officer{i}", "password": "wrong-password-x"})
            for i in range(PARALLEL)))
        assert all(a.status == 401 for a in answers), [a.status for a in answers]
    else:
        for _ in range(PARALLEL):
            passwords._verify(stored, "wrong-password-x")  # the old, blocking way
            await asyncio.sleep(0)


async def _phase(phase: str, client: TestClient, ws: Any, text: str,
                 stored: str) -> tuple[list[float], float, float]:
    done, probe = asyncio.Event(), Probe()
    scanning = asyncio.create_task(_scans(ws, text, done))
    start = time.perf_counter()
    await _load(phase, client, stored)
    wall = time.perf_counter() - start
    done.set()
    latencies = sorted(await scanning)
    probe.task.cancel()
    return latencies, probe.worst, wall


async def run(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), data_key=KEY, sweep_interval=0,
                            notify_worker=False,
                            login_address_free_failures=10_000)
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        try:
            gate = client.app[GATE]
            world = await sim_seed.seed(gate, 1, {"valid": 1})
            code, token = world.lanes[0]
            gate_pass = world.passes["valid"][0]
            text = pass_tokens.qr_text(gate_pass.credential, pass_tokens.current_code(
                gate_pass.secret, clock.now()))
            for i in range(PARALLEL):
                await users.add_staff(f"officer{i}", "correct-horse-1", ["reviewer"])
            stored = passwords._hasher.hash("correct-horse-1")
            start = time.perf_counter()
            passwords._verify(stored, "x")
            check_ms = 1000 * (time.perf_counter() - start)
            print(f"one argon2 check (64 MiB, t=3, p=4): {check_ms:.0f} ms; "
                  f"pool workers {passwords._pool.workers}, CPUs {_cpus()}")
            ws = await client.ws_connect("/gate/ws")
            await ws.send_json({"type": "hello", "event_id": "h", "lane": code,
                                "credential": token})
            await ws.receive(timeout=10)
            print(f"{'phase':<8} {'scans':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
                  f"{'stall ms':>8} {'load s':>7}")
            for _ in range(rounds):
                for phase in ("scans", "pool", "on-loop"):
                    lat, worst, wall = await _phase(phase, client, ws, text, stored)
                    print(f"{phase:<8} {len(lat):>6} {1000 * lat[len(lat) // 2]:>7.1f} "
                          f"{1000 * lat[int(0.99 * (len(lat) - 1))]:>7.1f} "
                          f"{1000 * lat[-1]:>7.1f} {1000 * worst:>8.1f} {wall:>7.2f}",
                          flush=True)
            await ws.close()
        finally:
            await client.close()


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args().rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
