"""``serve --processes N``: several server processes on one port, sharing PostgreSQL and Redis."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from outages import serving_children

from borderpass.app.cli import main

TEST_REDIS = os.environ.get("BORDERPASS_TEST_REDIS_URL", "")
TEST_KEY = "cHJvY2Vzc2VzLXByb2Nlc3Nlcy1wcm9jZXNzZXMtcHI="  # 32 bytes, this test only


@pytest.mark.parametrize(("env", "args", "why"), [
    ({}, [], "Redis server"),
    ({"BORDERPASS_REDIS_URL": "redis://127.0.0.1:6379/0"}, [], "PostgreSQL"),
    ({"BORDERPASS_REDIS_URL": "redis://127.0.0.1:6379/0",
      "BORDERPASS_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x"}, ["--demo"], "demo"),
])
def test_processes_that_could_not_share_state_are_refused(
        env: dict[str, str], args: list[str], why: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for name in ("BORDERPASS_REDIS_URL", "BORDERPASS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BORDERPASS_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--processes", "2", *args]) == 2
    assert why in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(c) for c in text.split()]


@pytest.mark.skipif(not TEST_REDIS or not os.environ.get("BORDERPASS_TEST_DATABASE_URL"),
                    reason="needs PostgreSQL and a Redis server")
@pytest.mark.usefixtures("db")  # emptied: no signing key sealed under another test's key
def test_two_processes_serve_one_port_and_stop_together(db_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = os.environ | {
        "BORDERPASS_DATABASE_URL": db_url, "BORDERPASS_REDIS_URL": TEST_REDIS,
        "BORDERPASS_DATA_DIR": str(tmp_path), "BORDERPASS_DATA_KEY": TEST_KEY,
        "BORDERPASS_SWEEP_INTERVAL": "0", "BORDERPASS_NOTIFY_WORKER": "0",
        "BORDERPASS_LOG_LEVEL": "WARNING"}
    parent = subprocess.Popen([sys.executable, "-m", "borderpass.app.cli", "serve",
                               "--port", str(port), "--processes", "2"], env=env)
    try:
        answered = 0
        for _ in range(1200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/gate/keys", timeout=2) as r:
                    answered += r.status == 200
            except OSError:
                time.sleep(0.1)
            if answered >= 5:
                break
        assert answered >= 5
        for _ in range(1200):  # the second process may still be starting
            if len(serving_children(parent.pid, port)) == 2:
                break
            time.sleep(0.1)
        children = _children(parent.pid)
        assert len(serving_children(parent.pid, port)) == 2
        assert len(children) == 3  # and a warm spare
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(20) == 0
        assert all(not Path(f"/proc/{c}").exists() or "zombie" in
                   Path(f"/proc/{c}/status").read_text() for c in children)
    finally:
        if parent.poll() is None:
            parent.kill()


NEEDS_SERVERS = pytest.mark.skipif(
    not TEST_REDIS or not os.environ.get("BORDERPASS_TEST_DATABASE_URL"),
    reason="needs PostgreSQL and a Redis server (several processes share them)")


def _start_parent(db_url: str, tmp_path: Path, count: int = 2) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = os.environ | {
        "BORDERPASS_DATABASE_URL": db_url, "BORDERPASS_REDIS_URL": TEST_REDIS,
        "BORDERPASS_DATA_DIR": str(tmp_path), "BORDERPASS_DATA_KEY": TEST_KEY,
        "BORDERPASS_SWEEP_INTERVAL": "0", "BORDERPASS_NOTIFY_WORKER": "0",
        "BORDERPASS_LOG_LEVEL": "WARNING"}
    parent = subprocess.Popen([sys.executable, "-m", "borderpass.app.cli", "serve",
                               "--port", str(port), "--processes", str(count)], env=env,
                              stderr=(tmp_path / "server.log").open("w"))  # never a full pipe
    return parent, port


async def _until(check, seconds: float = 60.0) -> None:
    import asyncio

    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


class Hammer:
    """A client requesting without pause over new connections, retrying a reset once."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/gate/keys"
        self.ok = self.failed = 0
        self.errors: list[str] = []
        self.stopped = False

    async def run(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(force_close=True)  # each request a new process
        async with aiohttp.ClientSession(connector=connector) as session:
            while not self.stopped:
                for attempt in range(2):
                    try:
                        async with session.get(self.url) as resp:
                            assert resp.status == 200, await resp.text()
                            await resp.read()
                        self.ok += 1
                        break
                    except aiohttp.ClientConnectionError as exc:
                        if attempt:
                            self.failed += 1
                            self.errors.append(repr(exc))


@NEEDS_SERVERS
@pytest.mark.fault
@pytest.mark.usefixtures("db")
async def test_killed_child_is_restarted_while_the_other_serves(db_url: str,
                                                                tmp_path: Path) -> None:
    import asyncio

    parent, port = _start_parent(db_url, tmp_path)
    hammer = Hammer(port)
    try:
        await _until(lambda: _all_listening(parent, port), 120)
        task = asyncio.create_task(hammer.run())
        await _until(lambda: hammer.ok >= 20)
        victim, other = serving_children(parent.pid, port)
        os.kill(victim, signal.SIGKILL)
        await _until(lambda: victim not in _children(parent.pid)
                     and _all_listening(parent, port), 120)  # replaced, and serving
        assert other in serving_children(parent.pid, port)  # the other one was left alone
        before = hammer.ok
        await _until(lambda: hammer.ok >= before + 50)
        hammer.stopped = True
        await task
        # every request answered (one retry after a connection reset at most)
        assert hammer.failed == 0, hammer.errors[:5]
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(15) == 0
        err = (tmp_path / "server.log").read_text()
        assert f"pid {victim}) died with signal 9" in err
    finally:
        hammer.stopped = True
        if parent.poll() is None:
            parent.kill()


def _all_listening(parent: subprocess.Popen, port: int, count: int = 2) -> bool:
    return len(serving_children(parent.pid, port)) == count


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/gate/keys", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@NEEDS_SERVERS
@pytest.mark.fault
@pytest.mark.usefixtures("db")
async def test_sigterm_drains_lanes_and_in_flight_requests(db_url: str, tmp_path: Path) -> None:
    import asyncio
    import json

    import aiohttp

    from borderpass.adapters.kv import make_redis
    from borderpass.adapters.storage import FileStore
    from borderpass.core.crypto import FieldCipher, load_data_key
    from borderpass.services.gate import lanes
    from borderpass.services.ports import Deps

    kv = make_redis(TEST_REDIS)
    deps = Deps(FieldCipher(load_data_key(TEST_KEY, tmp_path)), FileStore(tmp_path), kv,
                None)  # type: ignore[arg-type]
    lane, credential = await lanes.create(deps, {
        "code": "ruili-out-1", "port": "ruili", "lane_type": "people", "direction": "exit",
        "languages": ["zh_CN", "en"]})
    await kv.aclose()
    parent, port = _start_parent(db_url, tmp_path, count=1)
    try:
        await _until(lambda: _serving(port), 120)
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(f"http://127.0.0.1:{port}/gate/ws")
            await ws.send_str(json.dumps({"type": "hello", "event_id": "h1",
                                          "lane": lane.code, "credential": credential}))
            welcome = await ws.receive_json(timeout=10)
            assert welcome["type"] != "error", welcome
            # a slow request: the users table is locked, so its handler waits in PostgreSQL
            import asyncpg

            holder = await asyncpg.connect(db_url.replace("postgres://", "postgresql://", 1))
            locked = holder.transaction()
            await locked.start()
            await holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            slow = asyncio.create_task(session.post(
                f"http://127.0.0.1:{port}/api/v1/auth/staff-login",
                json={"username": "nobody", "password": "wrong-password"}))
            watcher = await asyncpg.connect(db_url.replace("postgres://", "postgresql://", 1))
            for _ in range(1200):  # until its query waits on the lock: the request is in flight
                # (another connection: inside a transaction pg_stat_activity is a snapshot)
                if await watcher.fetchval("SELECT count(*) FROM pg_stat_activity WHERE "
                                          "wait_event_type = 'Lock' AND query ILIKE '%users%'"):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the login never reached the database")
            await watcher.close()
            parent.send_signal(signal.SIGTERM)
            closing = await ws.receive(timeout=10)  # the lane is told first: going away
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert ws.close_code == 1001
            await locked.rollback()
            await holder.close()
            answer = await asyncio.wait_for(slow, 10)
            assert answer.status == 401, await answer.text()  # answered, not dropped
        assert parent.wait(15) == 0
    finally:
        if parent.poll() is None:
            parent.kill()


def test_crash_looping_child_is_backed_off_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    from borderpass.app.processes import Supervisor

    caplog.set_level(logging.WARNING, "borderpass.processes")
    supervisor = Supervisor([sys.executable, "-c", "raise SystemExit(3)"], 1, spare=False)
    slot = supervisor.slots[0]
    supervisor.start(slot)
    while len(slot.history) < 4:
        supervisor.watch()
        time.sleep(0.02)
    # the first death: restarted at once; then longer and longer pauses, each logged
    assert "died with status 3; restarting it" in caplog.text
    assert "2 times in a row; restarting in 0.5 s" in caplog.text
    assert "3 times in a row; restarting in 1.0 s" in caplog.text
    supervisor.drain()
