"""``borderpass serve --processes N``: N server processes sharing one port.

One Python process uses one core. The lanes' WebSockets and the API's requests are spread
by the kernel over processes listening on the same port (``SO_REUSEPORT``); everything the
processes share lives in PostgreSQL and Redis already (lane commands go through Redis
pub/sub, presence and idempotency keys through Redis), so any process can serve any lane.
Migrations are applied once, here, before the processes start.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

from borderpass.core.config import Settings

GRACE = 10.0  # seconds the processes have to stop after SIGTERM


def shared_state_problem(settings: Settings, demo: bool) -> str | None:
    """Why these settings cannot run several processes, or None. They must share the
    database and Redis: with the embedded fakeredis each process would hold its own
    passes' one release (R-G2), and SQLite takes one writer at a time."""
    if demo:
        return "--processes: the demo runs in one process; drop --demo or --processes"
    if not settings.redis_url:
        return ("--processes needs a Redis server (BORDERPASS_REDIS_URL): the embedded one "
                "lives inside a single process")
    if not settings.db_url.startswith(("postgres://", "asyncpg://")):
        return "--processes needs PostgreSQL (BORDERPASS_DATABASE_URL), not SQLite"
    return None


def serve_many(count: int, host: str, port: int) -> int:
    """Start ``count`` ``serve --reuse-port`` processes; stop them all when one stops or on
    SIGTERM/SIGINT. Returns the exit status of the first to stop (0 after a signal)."""
    argv = [sys.executable, "-m", "borderpass.core.cli", "serve", "--host", host,
            "--port", str(port), "--reuse-port"]
    children = [subprocess.Popen(argv) for _ in range(count)]
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    try:
        while not stopping:
            ended = [c for c in children if c.poll() is not None]
            if ended:
                status = ended[0].returncode or 0
                break
            time.sleep(0.2)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + GRACE
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
    return status
