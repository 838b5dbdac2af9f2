"""Test helpers for outages: a private Redis server and a private PostgreSQL cluster that a
test stops and starts, and a database pointed at a closed port (issue 17).

Ports come from this worktree's private range (18600–18699); the shared servers are never
touched.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REDIS_PORT, PG_PORT, CLOSED_PORT = 18601, 18610, 18699
CLOSED_DB = f"postgres://postgres@127.0.0.1:{CLOSED_PORT}/postgres"  # nobody listens there


async def point_db_at(url: str) -> None:
    """Reopen the ORM on ``url`` (``CLOSED_DB``: every query is refused)."""
    from tortoise import Tortoise

    from borderpass.adapters.db import tortoise_config

    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(url))


def wait_port(port: int, up: bool = True, seconds: float = 20.0) -> None:
    """Wait until 127.0.0.1:``port`` accepts connections (or refuses them, ``up=False``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            if (sock.connect_ex(("127.0.0.1", port)) == 0) == up:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} not {'up' if up else 'down'}")


class PrivateRedis:
    """``redis-server`` on a private port, without persistence: a restart loses all data."""

    def __init__(self, port: int = REDIS_PORT) -> None:
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None
        wait_port(self.port, up=False)


def _pg_bin() -> Path | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted(root.iterdir()) if root.is_dir() else []
    return versions[-1] / "bin" if versions else None


def postgres_available() -> str | None:
    """Why a private PostgreSQL cannot run here, or None."""
    if _pg_bin() is None:
        return "no PostgreSQL server binaries"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "a private PostgreSQL is started as user postgres: needs root and runuser"
    return None


class PrivatePostgres:
    """A PostgreSQL cluster of its own in a temporary directory, run as user postgres."""

    def __init__(self, port: int = PG_PORT) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="bp-pg-"))
        shutil.chown(self.dir, "postgres")
        self.data = self.dir / "data"
        self.bin = _pg_bin()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        assert self.bin is not None
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / argv[0]), *argv[1:]],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd=self.dir)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync")
        self.start()

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.dir / "log"), "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start")
        wait_port(self.port)

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        wait_port(self.port, up=False)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, TimeoutError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db_url: str, redis_url: str, data_dir: Path, data_key: str, port: int,
                 processes: int = 2) -> subprocess.Popen[str]:
    """``borderpass serve --processes N`` on ``port``, its log on a pipe."""
    import sys

    env = os.environ | {
        "BORDERPASS_DATABASE_URL": db_url, "BORDERPASS_REDIS_URL": redis_url,
        "BORDERPASS_DATA_DIR": str(data_dir), "BORDERPASS_DATA_KEY": data_key,
        "BORDERPASS_SWEEP_INTERVAL": "0", "BORDERPASS_NOTIFY_WORKER": "0",
        "BORDERPASS_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "borderpass.app.cli", "serve", "--port",
                             str(port), "--processes", str(processes)], env=env,
                            stderr=subprocess.DEVNULL, text=True)


def children(pid: int) -> list[int]:
    """The child processes of ``pid``."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def listening(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds a socket listening on ``port`` (read from /proc)."""
    inodes = {line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
              if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"}
    try:
        links = {os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()}
    except OSError:
        return False
    return any(f"socket:[{inode}]" in links for inode in inodes)


def serving_children(pid: int, port: int) -> list[int]:
    """The children of ``pid`` listening on ``port`` (a warm spare does not)."""
    return [child for child in children(pid) if listening(child, port)]
