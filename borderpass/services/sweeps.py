"""Periodic sweeps (R-F3 expiry, R-F9 overstays, reminders), run by one process at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from borderpass.core.backoff import Backoff
from borderpass.core.metrics import timed_sweep
from borderpass.services import idempotency
from borderpass.services.credit import feed as credit_feed
from borderpass.services.crossings import blacklist
from borderpass.services.filings import review
from borderpass.services.gate import ledger_partitions
from borderpass.services.identity import sessions
from borderpass.services.notify.sweep import sweep_reminders
from borderpass.services.ports import Deps
from borderpass.services.privacy import data_export, retention

LOCK_SECONDS = 120
log = logging.getLogger("borderpass.sweeps")


async def _ledger_months(deps: Deps) -> int:
    """The gate ledger's months past the operator's period, dropped whole (R-U7)."""
    return len(await ledger_partitions.drop_expired(deps.ledger_keep_days))


# What other subdomains keep for a period, run within the retention run (R-D4): privacy
# does not drive the gate.
RETAINED: tuple[retention.Step, ...] = (("ledger_months", _ledger_months),)


async def retention_sweep(deps: Deps) -> dict[str, int]:
    """One retention run with every subdomain's steps (R-D4), as the sweeps run it."""
    return await retention.sweep(deps, *RETAINED)


async def run_sweeps(deps: Deps) -> dict[str, int] | None:
    """Run every sweep once under a shared lock; None when another process holds it."""
    token = secrets.token_hex(8)
    if not await deps.kv.set("lock:sweeps", token, ex=LOCK_SECONDS, nx=True):
        return None
    try:
        counts: dict[str, int] = {}
        for name, sweep in (("expired_filings", review.expire_filings),
                            ("blacklisted", blacklist.sweep_overstays),
                            # after the blacklist, so a blacklisting notice finds its entry
                            ("reminders", sweep_reminders),  # (R-F9)
                            ("expired_sessions", sessions.purge_expired),
                            ("idempotency_expired", idempotency.sweep_expired),
                            ("ledger_months_ahead", ledger_partitions.ensure_ahead)):
            counts |= await timed_sweep(name, sweep)
        # R-P2.7: after the blacklist, so an overstay is an event before its trip is read
        counts |= await timed_sweep("credit", lambda: credit_feed.run(deps))
        counts |= await timed_sweep("data_exports",  # R-D3
                                    lambda: data_export.build_pending(deps))
        retained = await timed_sweep(  # R-D4
            "retention", lambda: retention.sweep_due(deps, *RETAINED))
        counts |= {f"retention_{k}": v for k, v in retained.items()}
        return counts
    finally:
        held = await deps.kv.get("lock:sweeps")
        if held is not None and held.decode() == token:
            await deps.kv.delete("lock:sweeps")


async def sweep_forever(deps: Deps, interval: float, stop: asyncio.Event | None = None) -> None:
    """Run the sweeps every ``interval`` seconds until ``stop``; after a failed run (Redis or
    the database away) retry with backoff, sooner than the interval, logging once."""
    stop = stop or asyncio.Event()
    backoff = Backoff(log, "sweeps")
    while not stop.is_set():
        try:
            result = await run_sweeps(deps)
        except Exception as exc:
            rest = min(interval, backoff.failed(exc))
        else:
            backoff.succeeded()
            if result and any(result.values()):
                log.info("sweeps ran", extra=result)
            rest = interval
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rest)
