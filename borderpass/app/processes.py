"""``borderpass serve --processes N``: N server processes sharing one port, supervised.

One Python process uses one core. The lanes' WebSockets and the API's requests are spread
by the kernel over processes listening on the same port (``SO_REUSEPORT``); everything the
processes share lives in PostgreSQL and Redis already (lane commands go through Redis
pub/sub), so any process can serve any lane. Migrations are applied once, here, before the
processes start.

The parent supervises: a child that dies (a crash, the OOM killer's SIGKILL) is replaced at
once by a warm spare (``app/standby.py``: started, not listening) while the others keep
serving, and a new spare is started; a child that keeps dying within ``STEADY`` seconds of
its start is replaced after a growing pause (crash loop), logged each time. SIGTERM or
SIGINT drains: each child stops accepting, closes its lanes' WebSockets (1001 going away),
lets its in-flight requests finish (``DRAIN`` seconds at most), and the parent exits 0
within ``GRACE`` seconds, killing what is left.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from borderpass.core.config import Settings

log = logging.getLogger("borderpass.processes")
GRACE = 10.0  # seconds the processes have to stop after SIGTERM
DRAIN = 8.0  # seconds a child lets its in-flight requests finish (run_app's shutdown_timeout)
POLL = 0.05  # seconds between two looks at the children
STEADY = 5.0  # a child that lived this long was not crash-looping
PAUSE_FIRST, PAUSE_MAX = 0.5, 30.0  # pauses before restarting a crash-looping child


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


@dataclass
class Slot:
    """One of the N places a server process runs in, and its restart history."""

    index: int
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0  # consecutive deaths within STEADY seconds of a start
    restart_at: float | None = None
    history: list[int] = field(default_factory=list)  # pids, for the log and the tests

    def pause(self) -> float:
        """Seconds to wait before the next start: none after a first death."""
        if self.quick_deaths <= 1:
            return 0.0
        return min(PAUSE_MAX, PAUSE_FIRST * 2.0 ** (self.quick_deaths - 2))


def _die_with_parent() -> None:
    """In the child (Linux): SIGTERM when the supervisor dies, even by SIGKILL, so no
    server runs on unsupervised (it drains as on any SIGTERM)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _go(proc: subprocess.Popen[bytes]) -> None:
    """Tell a standby process to listen (a dead one is noticed at the next look)."""
    assert proc.stdin is not None
    with contextlib.suppress(OSError):
        proc.stdin.write(b"go\n")
        proc.stdin.flush()


class Supervisor:
    """Start, watch, restart and finally drain the server processes, keeping a spare warm."""

    def __init__(self, argv: list[str], count: int, spare: bool = True) -> None:
        self.argv = argv
        self.slots = [Slot(i) for i in range(count)]
        self.spare: Slot | None = Slot(-1, restart_at=0.0) if spare else None
        self.stopping = False
        self.on_death: Callable[[int], None] | None = None  # told each dead child's pid

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.argv, stdin=subprocess.PIPE, preexec_fn=_die_with_parent)

    def start(self, slot: Slot) -> None:
        """Serve in ``slot``: the warm spare if there is one alive, else a new process."""
        spare = self.spare
        if spare is not None and spare.proc is not None and spare.proc.poll() is None:
            proc, spare.proc, spare.restart_at = spare.proc, None, time.monotonic()
        else:
            proc = self._spawn()
        _go(proc)
        slot.proc, slot.started, slot.restart_at = proc, time.monotonic(), None
        slot.history.append(proc.pid)

    def _start_spare(self, spare: Slot) -> None:
        spare.proc = self._spawn()
        spare.started, spare.restart_at = time.monotonic(), None
        spare.history.append(spare.proc.pid)

    def watch(self) -> None:
        """One look: note the children that ended, start those whose pause is over."""
        now = time.monotonic()
        for slot in self.slots:
            if slot.proc is not None and (status := slot.proc.poll()) is not None:
                self._ended(slot, status, now)
            if slot.proc is None and slot.restart_at is not None and now >= slot.restart_at:
                self.start(slot)
        spare = self.spare
        if spare is not None:
            if spare.proc is not None and (status := spare.proc.poll()) is not None:
                self._ended(spare, status, now)
            if spare.proc is None and spare.restart_at is not None and now >= spare.restart_at:
                self._start_spare(spare)

    def _ended(self, slot: Slot, status: int, now: float) -> None:
        assert slot.proc is not None
        if self.on_death is not None:
            self.on_death(slot.proc.pid)
        lived = now - slot.started
        slot.quick_deaths = slot.quick_deaths + 1 if lived < STEADY else 1
        pause = slot.pause()
        how = f"signal {-status}" if status < 0 else f"status {status}"
        name = "spare server process" if slot.index < 0 else "server process"
        if slot.quick_deaths > 1:
            log.error(f"{name} %d (pid %d) crash-looping: died with %s after %.1f s, "
                      "%d times in a row; restarting in %.1f s", slot.index, slot.proc.pid,
                      how, lived, slot.quick_deaths, pause)
        else:
            log.warning(f"{name} %d (pid %d) died with %s; restarting it",
                        slot.index, slot.proc.pid, how)
        slot.proc, slot.restart_at = None, now + pause

    def drain(self) -> None:
        """SIGTERM every child, wait up to GRACE seconds, kill what is left."""
        slots = [*self.slots, *([self.spare] if self.spare is not None else [])]
        live = [s.proc for s in slots if s.proc is not None and s.proc.poll() is None]
        for proc in live:
            proc.terminate()
        deadline = time.monotonic() + GRACE
        for proc in live:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("server process pid %d did not drain in time: killed", proc.pid)
                proc.kill()
                proc.wait()


def serve_many(count: int, host: str, port: int, metrics_host: str = "127.0.0.1",
               metrics_port: int = 0) -> int:
    """Run ``count`` supervised ``serve --standby`` processes until SIGTERM/SIGINT, then
    drain them; 0 after a signal.

    The children write their metrics to a directory of this run (prometheus_client's
    multiprocess mode); this process serves their sum on ``metrics_port`` and deletes the
    directory at the end, so a restart starts from zero like any single process."""
    import os
    import shutil
    import tempfile

    from borderpass.core.metrics import MULTIPROC_ENV

    _remove_stale_metrics_dirs(Path(tempfile.gettempdir()))
    run_dir = tempfile.mkdtemp(prefix=f"{METRICS_PREFIX}{os.getpid()}-")
    os.environ[MULTIPROC_ENV] = run_dir  # inherited by the children
    os.environ["BORDERPASS_METRICS_PORT"] = "0"  # the children do not serve it: we do
    argv = [sys.executable, "-m", "borderpass.app.cli", "serve", "--host", host,
            "--port", str(port), "--standby"]
    supervisor = Supervisor(argv, count)
    try:
        from borderpass.app.metrics_http import serve_multiprocess

        supervisor.on_death = serve_multiprocess(metrics_host, metrics_port)
        return _supervise(supervisor)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


METRICS_PREFIX = "borderpass-metrics-"  # + the supervisor's pid + "-" + random


def _remove_stale_metrics_dirs(tmp: Path) -> None:
    """Remove the metrics directories of supervisors that died without cleaning up (a
    SIGKILL): those whose pid no longer runs."""
    import shutil

    for path in tmp.glob(f"{METRICS_PREFIX}*-*"):
        pid = path.name.removeprefix(METRICS_PREFIX).split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)


def _supervise(supervisor: Supervisor) -> int:
    """Start the children, watch them until a signal, then drain them."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        supervisor.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in supervisor.slots:
        supervisor.start(slot)
    try:
        while not supervisor.stopping:
            supervisor.watch()
            time.sleep(POLL)
    finally:
        supervisor.drain()
    return 0
