"""Periodic sweeps (R-F3 expiry, R-F9 overstays, reminders), run by one process at a time."""

from __future__ import annotations

import secrets

from borderpass.services import blacklist, idempotency, review
from borderpass.services.notify.sweep import sweep_reminders
from borderpass.services.ports import Deps

LOCK_SECONDS = 120


async def run_sweeps(deps: Deps) -> dict[str, int] | None:
    """Run every sweep once under a shared lock; None when another process holds it."""
    token = secrets.token_hex(8)
    if not await deps.kv.set("lock:sweeps", token, ex=LOCK_SECONDS, nx=True):
        return None
    try:
        return {
            "expired_filings": await review.expire_filings(),
            "blacklisted": await blacklist.sweep_overstays(),
            # after the blacklist, so a blacklisting notice finds its entry (R-F9)
            **await sweep_reminders(),
            "idempotency_expired": await idempotency.sweep_expired(),
        }
    finally:
        held = await deps.kv.get("lock:sweeps")
        if held is not None and held.decode() == token:
            await deps.kv.delete("lock:sweeps")
