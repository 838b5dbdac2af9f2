"""Staff passwords: argon2 (64 MiB) in a bounded thread pool, never on the event loop.

One argon2 hash costs ~0.2–0.9 s of CPU; run on the loop it froze every lane's barrier
for that long (issue 16). argon2-cffi releases the GIL while it hashes, so a small
thread pool keeps the loop free; the pool and its queue are bounded, so a flood of logins
is answered ``503`` instead of queueing without end (R-U7, MLPS level 3).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from borderpass.core.errors import FieldError, FieldErrors, Unavailable

_hasher = PasswordHasher()  # RFC 9106 low-memory profile: 64 MiB, t=3, p=4
MIN_LENGTH = 12
NICE = 10  # hashing threads yield the CPU to the event loop
MAX_LENGTH = 200
# Passwords every guessing list starts with (lower-cased); a policy check, not a full list.
COMMON = frozenset({
    "123456789012", "1234567890123", "12345678901234", "123456123456", "111111111111",
    "000000000000", "password1234", "password12345", "password123456", "passwordpassword",
    "p@ssw0rd1234", "p@ssword1234", "qwertyuiop12", "qwertyuiop123", "qwerty123456",
    "1qaz2wsx3edc", "1q2w3e4r5t6y", "qazwsxedcrfv", "abc123456789", "abcdefghijkl",
    "iloveyou1234", "administrator", "admin1234567", "admin123456789", "administrator1",
    "welcome12345", "welcome123456", "changeme1234", "letmein12345", "trustno1trustno1",
    "borderpass123", "borderpass1234", "woaini1314520", "woaini520520", "aa123456789a",
    "zxcvbnm12345", "correcthorsebatterystaple", "88888888888888", "666666666666",
    "5201314520131", "147258369147",
})


@dataclass
class _Pool:
    """The process's hashing threads and how many jobs they hold (running or queued)."""

    workers: int = max(1, (os.cpu_count() or 2) // 2)
    queue: int = 16
    executor: ThreadPoolExecutor | None = None
    held: int = 0
    done: int = 0


_pool = _Pool()


def configure(workers: int, queue: int) -> None:
    """Size the pool (at start-up, from Settings; 0 workers → half the CPUs)."""
    workers = workers or max(1, (os.cpu_count() or 2) // 2)
    if (workers, queue) == (_pool.workers, _pool.queue):
        return
    if _pool.executor is not None:
        _pool.executor.shutdown(wait=False)
    _pool.workers, _pool.queue, _pool.executor = workers, max(1, queue), None


def jobs_done() -> int:
    """How many hashes and verifications the pool has finished (tests and bench)."""
    return _pool.done


def _lower_priority() -> None:
    """Run this hashing thread (and the argon2 lanes it starts) at a lower CPU priority than
    the event loop, so on a busy machine the lanes' scans still come first (Linux keeps a
    nice value per thread; elsewhere this does nothing)."""
    import threading

    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)


async def _in_pool(fn: object, *args: str) -> object:
    """Run one argon2 call in the pool; ``503 login_busy`` when the queue is full."""
    if _pool.held >= _pool.workers + _pool.queue:
        raise Unavailable("login_busy", retry_after=2)
    if _pool.executor is None:
        _pool.executor = ThreadPoolExecutor(_pool.workers, thread_name_prefix="argon2",
                                            initializer=_lower_priority)
    _pool.held += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_pool.executor, fn, *args)  # type: ignore[arg-type]
    finally:
        _pool.held -= 1
        _pool.done += 1


async def hash_password(password: str) -> str:
    """The argon2 hash of ``password``, made off the event loop."""
    return str(await _in_pool(_hasher.hash, password))


def _verify(stored: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


async def verify(stored: str, password: str) -> bool:
    """True when ``password`` matches the argon2 hash ``stored``; checked off the loop."""
    return bool(await _in_pool(_verify, stored, password))


_dummy: list[str] = []


async def dummy_hash() -> str:
    """A hash of a random password, verified for unknown names so they cost the same work
    as known ones and timing says nothing (R-U7)."""
    if not _dummy:
        _dummy.append(await hash_password(os.urandom(16).hex()))
    return _dummy[0]


def check_policy(username: str, password: str, field: str = "password") -> None:
    """The staff password policy (MLPS level 3): ≥ 12 characters, not the user name (nor
    containing a name of 4+ letters), not a common password; every broken rule is reported
    at once, naming the field."""
    errors: list[FieldError] = []
    if len(password) < MIN_LENGTH:
        errors.append(FieldError("password_short", field, min=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        errors.append(FieldError("length", field, max=MAX_LENGTH))
    folded = password.casefold()
    name = username.casefold()
    if name and (name == folded or (len(name) >= 4 and name in folded)):
        errors.append(FieldError("password_username", field))
    if folded in COMMON or len(set(folded)) <= 2:
        errors.append(FieldError("password_common", field))
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise FieldErrors(errors)
