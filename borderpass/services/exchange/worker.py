"""The exchange worker loop: tail the gate's crossings into the log, deliver what is due,
and survive the database going away (core/backoff.py: a few log lines per outage, retries
from 0.2 s up to 5 s). It keeps nothing in memory that matters: cursors, leases, retry
times and dead letters are rows, so a restart or a second worker picks up where it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from borderpass.core.backoff import Backoff
from borderpass.core.crypto import FieldCipher
from borderpass.services.exchange import delivery, tailer

log = logging.getLogger("borderpass.exchange")


async def turn(cipher: FieldCipher, transport: delivery.Transport,
               config: delivery.Config) -> int:
    """One turn: crossings logged plus events delivered (0: nothing to do)."""
    tailed = await tailer.tail_once()
    return tailed + await delivery.deliver_due(cipher, transport, config)


# Between two turns that found work but not a full page: the gate's crossings gather into
# pages instead of one turn (and one commit) per crossing in the bridge's own process.
BUSY_PAUSE = 0.2


def pause(done: int, poll: float) -> float:
    """Seconds to wait after a turn that did ``done`` things."""
    if done >= tailer.PAGE:
        return 0.0  # a backlog: the next page at once
    return min(BUSY_PAUSE, poll) if done else poll


async def run_worker(cipher: FieldCipher, transport: delivery.Transport,
                     config: delivery.Config, poll: float, stop: asyncio.Event) -> None:
    """Turn until ``stop`` is set: at once while a backlog fills whole pages, after
    ``BUSY_PAUSE`` (at most ``poll``) while there is some work, every ``poll`` s when idle."""
    backoff = Backoff(log, "exchange worker")
    while not stop.is_set():
        try:
            done = await turn(cipher, transport, config)
            backoff.succeeded()
            wait = pause(done, poll)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            wait = backoff.failed(exc)
        if wait:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
        else:
            await asyncio.sleep(0)
