"""Failed-login counters per login name and per client address, in Redis (R-U7, MLPS).

Counters may be lost with Redis (a restart only forgives some delay); the lock they lead to
is kept in PostgreSQL (:mod:`borderpass.services.identity.staff`). An attempt is counted
against its name *before* the password is checked, so a burst of parallel guesses at one
name gets only the free attempts through; a success clears the name's count.
"""

from __future__ import annotations

import functools
import hashlib
import math
from typing import Any

from borderpass.core.config import LoginPolicy
from borderpass.core.errors import BorderPassError
from borderpass.services import clock
from borderpass.services.ports import KeyValue

# KEYS = name, address; ARGV = now, free failures of a name, delay base, delay max, window.
# Refuses ({0, seconds to wait}) while either key's delay runs; otherwise counts one more
# attempt against the name, starts its next delay, and answers {1, attempts of the name}.
ATTEMPT_SCRIPT = """
local now = tonumber(ARGV[1])
local wait = 0
for i = 1, 2 do
  local until_ = tonumber(redis.call('HGET', KEYS[i], 'until') or '0')
  if until_ - now > wait then wait = until_ - now end
end
if wait > 0 then return {0, tostring(wait)} end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local free = tonumber(ARGV[2])
if n >= free then
  local delay = math.min(tonumber(ARGV[3]) * 2 ^ (n - free), tonumber(ARGV[4]))
  redis.call('HSET', KEYS[1], 'until', tostring(now + delay))
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {1, n}
"""
# KEYS = address; ARGV = now, free failures of an address, delay base, delay max, window.
FAIL_SCRIPT = """
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local free = tonumber(ARGV[2])
if n >= free then
  local delay = math.min(tonumber(ARGV[3]) * 2 ^ (n - free), tonumber(ARGV[4]))
  redis.call('HSET', KEYS[1], 'until', tostring(tonumber(ARGV[1]) + delay))
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return n
"""


class Throttled(BorderPassError):
    """Too many failed logins from this name or address: retry after ``retry_after`` s."""

    status = 429
    default_code = "login_throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(None, None, seconds=retry_after)
        self.retry_after = retry_after


def _key(kind: str, value: str) -> str:
    return f"login:{kind}:" + hashlib.sha256(value.encode()).hexdigest()


@functools.lru_cache(maxsize=8)
def _scripts(kv: KeyValue) -> tuple[Any, Any]:
    """The registered scripts, made once per client."""
    return kv.register_script(ATTEMPT_SCRIPT), kv.register_script(FAIL_SCRIPT)


async def attempt(kv: KeyValue, policy: LoginPolicy, username: str, address: str) -> int:
    """Count one attempt at ``username`` from ``address``; Throttled while a delay runs.
    Returns how many attempts the name has made since its last success."""
    now = clock.now().timestamp()
    found = await _scripts(kv)[0](
        keys=[_key("name", username), _key("addr", address)],
        args=[repr(now), policy.free_failures, repr(policy.delay_base),
              repr(policy.delay_max), policy.window])
    if int(found[0]) == 0:
        raise Throttled(max(1, math.ceil(float(found[1]))))
    return int(found[1])


async def failed(kv: KeyValue, policy: LoginPolicy, address: str) -> None:
    """Count one failure against the client address (the name was counted by attempt)."""
    await _scripts(kv)[1](
        keys=[_key("addr", address)],
        args=[repr(clock.now().timestamp()), policy.address_free_failures,
              repr(policy.delay_base), repr(policy.delay_max), policy.window])


async def forget(kv: KeyValue, username: str) -> None:
    """Clear a name's count (after a success, or once the name is locked)."""
    await kv.delete(_key("name", username))
