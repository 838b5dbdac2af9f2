"""Fault tests of the gate (issue 17): what production does, against a real server process.

Each test starts ``borderpass serve`` on the test's PostgreSQL database with its own private
``redis-server`` (ports 18500–18599), so it can kill and restart Redis without data and
kill the server mid-load while lanes retry the same event ids. They assert: 0 lost, 0
doubled, one release per pass (R-G2), every scan once in the ledger (R-G6).

Run alone with ``pytest -m fault``; they skip on the embedded back end (no servers to kill).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from gate_helpers import declared, issued, lane, qr
from outages import PrivateRedis

from borderpass.adapters.kv import make_redis
from borderpass.adapters.storage import FileStore
from borderpass.core.crypto import FieldCipher
from borderpass.models import Declaration
from borderpass.models.enums import DeclarationStatus
from borderpass.models.gate import Crossing, LaneCommand, LaneEvent, LedgerEntry
from borderpass.services.gate import gate_commands
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.ports import Deps

pytestmark = [
    pytest.mark.fault,
    pytest.mark.skipif(not os.environ.get("BORDERPASS_TEST_DATABASE_URL", "")
                       .startswith("postgres"), reason="needs PostgreSQL (a server to kill)"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]
KEY = "ZmF1bHQtZmF1bHQtZmF1bHQtZmF1bHQtZmF1bHQtZmE="  # 32 bytes, these tests only
PORTS = range(18500, 18600)  # this suite's private ports
UP_WAIT = 60.0  # seconds a process may take to start (a hang guard, not a measurement)


def _free_port(avoid: set[int] = frozenset()) -> int:  # type: ignore[assignment]
    for port in PORTS:
        if port in avoid:
            continue
        with socket.socket() as sock, contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port))
            return port
    raise RuntimeError("no free port in 18500-18599")


class Server:
    """``borderpass serve`` on the test database and the private Redis."""

    def __init__(self, port: int, db_url: str, redis_url: str, data_dir: Path) -> None:
        self.port, self.proc = port, None  # type: Any
        self.env = os.environ | {
            "BORDERPASS_DATABASE_URL": db_url, "BORDERPASS_REDIS_URL": redis_url,
            "BORDERPASS_DATA_DIR": str(data_dir), "BORDERPASS_DATA_KEY": KEY,
            "BORDERPASS_SWEEP_INTERVAL": "0", "BORDERPASS_NOTIFY_WORKER": "0",
            "BORDERPASS_LOG_LEVEL": "WARNING"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "borderpass.app.cli", "serve", "--port", str(self.port)],
            env=self.env)
        deadline = time.monotonic() + UP_WAIT
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, "server exited"
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{self.url}/gate/keys") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis(_free_port())
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
async def server(db: str, private_redis: PrivateRedis,
                 tmp_path: Path) -> AsyncIterator[Server]:
    srv = Server(_free_port({private_redis.port}), db, private_redis.url, tmp_path)
    await srv.start()
    yield srv
    srv.stop(signal.SIGTERM)


@pytest.fixture
async def gate(db: str, private_redis: PrivateRedis, tmp_path: Path) -> AsyncIterator[GateDeps]:
    """The test's own view of the gate: seeds passes and lanes with the server's data key."""
    kv = make_redis(private_redis.url)
    deps = Deps(cipher=FieldCipher(base64.b64decode(KEY)), files=FileStore(tmp_path / "up"),
                kv=kv, tz=ZoneInfo("Asia/Shanghai"))
    yield GateDeps.build(deps)
    with contextlib.suppress(Exception):
        await kv.aclose()


async def _post(session: aiohttp.ClientSession, url: str, credential: str,
                body: dict[str, Any]) -> dict[str, Any]:
    """A lane's HTTP scan, retried with the same event id until it is answered."""
    while True:
        try:
            async with session.post(url, json=body,
                                    headers={"Authorization": f"Bearer {credential}"}) as resp:
                if resp.status == 200:
                    return dict(await resp.json())
        except (TimeoutError, aiohttp.ClientError):
            pass
        await asyncio.sleep(0.05)


async def test_redis_restarted_empty_cannot_reopen_a_used_pass(
        gate: GateDeps, server: Server, private_redis: PrivateRedis) -> None:  # R-G2, R-G6
    declaration = await declared(gate)
    gate_pass = await issued(gate, declaration)
    other = await issued(gate, await declared(gate, plate="云N54321", name="bob"))
    out, credential = await lane(gate)
    url = f"{server.url}/gate/lanes/{out.code}/scans"
    async with aiohttp.ClientSession() as session:
        first = await _post(session, url, credential, {"event_id": "r1", "qr": qr(gate_pass)})
        assert (first["action"], first["reason"]) == ("open", "pass_valid")
        private_redis.stop()  # everything Redis held is gone
        # Redis is no part of a decision: lanes are served while it is down.
        down = await _post(session, url, credential, {"event_id": "r0", "qr": qr(other)})
        assert (down["action"], down["reason"]) == ("open", "pass_valid")
        private_redis.start()
        again = await _post(session, url, credential, {"event_id": "r2", "qr": qr(gate_pass)})
        assert (again["action"], again["reason"]) == ("deny", "pass_used")
        retried = await _post(session, url, credential, {"event_id": "r1", "qr": qr(gate_pass)})
        assert retried == first  # the first answer, from the database
    assert await LedgerEntry.filter(kind="scan", event_id="r1", outcome="open").count() == 1
    assert await Crossing.filter(declaration_id=declaration.id).count() == 1
    assert (await Declaration.get(id=declaration.id)).status is DeclarationStatus.USED


@dataclass
class _Planned:
    lane: str
    credential: str
    event_id: str
    declaration_id: int
    text: str


async def _plan(gate: GateDeps, passes: int) -> list[_Planned]:
    """Each pass scanned on two lanes (twins racing for its one release)."""
    lanes_ = [await lane(gate, f"ruili-out-{i}") for i in range(3)]
    planned = []
    for i in range(passes):
        declaration = await declared(gate, plate=f"云N{10000 + i}", name=f"d{i}")
        text = qr(await issued(gate, declaration))
        for twin in range(2):
            ln, cred = lanes_[(i + twin) % 3]
            planned.append(_Planned(ln.code, cred, f"k{i}-{twin}", declaration.id, text))
    return planned


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
async def test_server_killed_mid_load_loses_and_doubles_nothing(
        gate: GateDeps, server: Server, sig: int) -> None:  # R-G2, R-G6
    planned = await _plan(gate, 30)
    answers: dict[str, list[dict[str, Any]]] = {p.event_id: [] for p in planned}
    answered = asyncio.Event()

    async def lane_client(items: list[_Planned], session: aiohttp.ClientSession) -> None:
        for p in items:
            body = {"event_id": p.event_id, "qr": p.text}
            url = f"{server.url}/gate/lanes/{p.lane}/scans"
            for _ in range(2):  # every event sent twice: the retry must get the same answer
                answers[p.event_id].append(await _post(session, url, p.credential, body))
            if sum(1 for a in answers.values() if a) >= len(planned) // 3:
                answered.set()

    async def killer() -> None:
        await answered.wait()
        server.stop(sig)  # mid-load: lanes keep retrying their events
        await server.start()

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        clients = [lane_client(planned[i::6], session) for i in range(6)]
        await asyncio.gather(killer(), *clients)

    for event_id, got in answers.items():  # 0 lost; each retry answered the same
        assert len(got) == 2 and got[0] == got[1], event_id
    by_pass: dict[int, list[str]] = {}
    for p in planned:
        by_pass.setdefault(p.declaration_id, []).append(answers[p.event_id][0]["action"])
    assert all(sorted(actions) == ["deny", "open"] for actions in by_pass.values())
    crossings = await Crossing.all().values_list("declaration_id", flat=True)
    assert sorted(crossings) == sorted(by_pass)  # one release per pass
    scans = await LedgerEntry.filter(kind="scan").values_list("event_id", flat=True)
    assert sorted(scans) == sorted(answers)  # every scan once in the ledger
    commands = await LedgerEntry.filter(kind="command").values_list("event_id", flat=True)
    assert sorted(commands) == sorted(f"{e}:cmd" for e in answers)
    assert await LaneEvent.filter(kind="scan").count() == len(planned)
    used = await Declaration.filter(status=DeclarationStatus.USED).count()
    assert used == len(by_pass)


async def test_a_lane_connected_through_a_redis_restart_gets_its_emergency_command(
        gate: GateDeps, server: Server, private_redis: PrivateRedis) -> None:  # R-G5
    out, credential = await lane(gate)
    async with aiohttp.ClientSession() as session, session.ws_connect(
            f"{server.url}/gate/ws") as ws:
        await ws.send_str(json.dumps({"type": "hello", "event_id": "h1", "lane": out.code,
                                      "credential": credential}))
        welcome = json.loads((await ws.receive(timeout=UP_WAIT)).data)
        assert welcome["type"] == "welcome"
        private_redis.stop()
        # Another bridge instance sends an emergency release while Redis is down: the
        # command is committed in the outbox; announcing it fails.
        frame = gate_commands.build(out, "emergency-fault-1", "open", "emergency",
                                    plate="云A11911", actor="user:sup")
        await gate_commands.send(gate, out, frame)
        assert await LaneCommand.filter(lane_code=out.code, command_id="emergency-fault-1",
                                        acked_at=None).exists()
        back = time.monotonic()
        private_redis.start()
        while True:  # the relay resubscribes and resends the outbox
            got = json.loads((await ws.receive(timeout=UP_WAIT)).data)
            if got.get("event_id") == "emergency-fault-1":
                break
        print(f"emergency command reached the lane {time.monotonic() - back:.2f} s after "
              "Redis was back")
        assert got["action"] == "open" and got["reason"] == "emergency"
        await ws.send_str(json.dumps({"type": "ack", "event_id": "a1",
                                      "command_id": "emergency-fault-1", "result": "done"}))
        while (receipt := json.loads((await ws.receive(timeout=UP_WAIT)).data)).get(
                "in_reply_to") != "a1":
            pass  # a command resent twice is dropped by the lane (same command id)
        assert receipt["known"] is True
    assert not await LaneCommand.filter(command_id="emergency-fault-1", acked_at=None).exists()


PG_BIN = Path("/usr/lib/postgresql") / (sorted(os.listdir("/etc/postgresql"))[-1]
                                         if os.path.isdir("/etc/postgresql") else "-") / "bin"


class PrivatePostgres:
    """A PostgreSQL instance of this test alone (initdb in a temp dir, run as user postgres
    when the tests run as root), so it can be restarted without touching the shared one."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="bp-gate-pg-"))
        self.data = self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=UP_WAIT * 2)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                  "postgres", "--no-sync")
        self.pg_ctl("start")

    def pg_ctl(self, action: str, *extra: str) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                  str(self.root / "log"), "-o", f"-p {self.port} -k {self.root} "
                  "-c listen_addresses=127.0.0.1", *extra, action)

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip("needs PostgreSQL's initdb")
    pg = PrivatePostgres(_free_port())
    pg.init()
    yield pg
    pg.remove()


async def test_postgres_restarted_keeps_every_release(
        private_postgres: PrivatePostgres, private_redis: PrivateRedis,
        tmp_path: Path) -> None:  # R-G2, R-G6
    from borderpass.adapters.db import close_db, init_db

    await init_db(private_postgres.url)  # migrated
    kv = make_redis(private_redis.url)
    gate = GateDeps.build(Deps(cipher=FieldCipher(base64.b64decode(KEY)),
                               files=FileStore(tmp_path / "up"), kv=kv,
                               tz=ZoneInfo("Asia/Shanghai")))
    srv = Server(_free_port({private_redis.port, private_postgres.port}),
                 private_postgres.url, private_redis.url, tmp_path)
    try:
        declaration = await declared(gate)
        gate_pass = await issued(gate, declaration)
        other = await issued(gate, await declared(gate, plate="云N54321", name="bob"))
        out, credential = await lane(gate)
        await close_db()
        await srv.start()
        url = f"{srv.url}/gate/lanes/{out.code}/scans"
        async with aiohttp.ClientSession() as session:
            first = await _post(session, url, credential, {"event_id": "p1",
                                                           "qr": qr(gate_pass)})
            assert first["action"] == "open"
            private_postgres.pg_ctl("restart", "-m", "fast")  # every connection is cut
            again = await _post(session, url, credential, {"event_id": "p2",
                                                           "qr": qr(gate_pass)})
            assert (again["action"], again["reason"]) == ("deny", "pass_used")
            assert await _post(session, url, credential,
                               {"event_id": "p1", "qr": qr(gate_pass)}) == first
            fresh = await _post(session, url, credential, {"event_id": "p3", "qr": qr(other)})
            assert fresh["action"] == "open"
        await init_db(private_postgres.url)
        assert await Crossing.filter(declaration_id=declaration.id).count() == 1
        scans = await LedgerEntry.filter(kind="scan").order_by("id").values_list(
            "event_id", "outcome")
        assert scans == [("p1", "open"), ("p2", "deny"), ("p3", "open")]
    finally:
        srv.stop(signal.SIGTERM)
        await close_db()
        with contextlib.suppress(Exception):
            await kv.aclose()
