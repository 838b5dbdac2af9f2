"""``serve --processes N``: several server processes on one port, sharing PostgreSQL and Redis."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from borderpass.core.cli import main

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
    parent = subprocess.Popen([sys.executable, "-m", "borderpass.core.cli", "serve",
                               "--port", str(port), "--processes", "2"], env=env)
    try:
        answered = 0
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/gate/keys", timeout=2) as r:
                    answered += r.status == 200
            except OSError:
                time.sleep(0.1)
            if answered >= 5:
                break
        assert answered >= 5
        children = _children(parent.pid)
        assert len(children) == 2
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(20) == 0
        assert all(not Path(f"/proc/{c}").exists() or "zombie" in
                   Path(f"/proc/{c}/status").read_text() for c in children)
    finally:
        if parent.poll() is None:
            parent.kill()
