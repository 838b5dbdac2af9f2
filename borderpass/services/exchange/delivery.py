"""Delivery to subscribers: at least once, in id order, retried with exponential backoff
for up to 24 hours, then the head event is a dead letter (visible, replayable).

Each agency has one cursor: the worker claims the agency (a lease on ``next_attempt_at``,
so two workers never send to one agency at once), posts its next entitled events after
the cursor (one, or a batch when the agency asked for batches) and moves the cursor only
after a 2xx answer. A failure retries the same events from the same cursor, so a subject's
later event always waits for its earlier one (delivery is in order for the whole agency,
stronger than per subject). An answer lost after the agency took the events makes it get
them again: agencies dedupe by the CloudEvents ``id``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from borderpass.core.crypto import FieldCipher
from borderpass.models import Agency, DeadLetter, ExchangeEvent
from borderpass.services import clock
from borderpass.services.exchange import envelope, log, signing, subscribers

logger = logging.getLogger("borderpass.exchange")
GIVE_UP = timedelta(hours=24)
FIRST_RETRY = 1.0  # seconds; doubled on each failure
MAX_RETRY = 15 * 60.0  # the longest wait between two tries
LEASE = timedelta(seconds=60)


class DeliveryFailed(Exception):
    """The agency did not take the events: no answer, or a non-2xx status."""


class Transport(Protocol):
    """Posts one signed body (app/exchange_runtime.py over aiohttp; tests in process)."""

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """The HTTP status; raises DeliveryFailed when there was no answer."""


@dataclass(frozen=True)
class Config:
    """The worker's settings."""

    source: str = envelope.DEFAULT_SOURCE
    concurrency: int = 8  # agencies served at once
    bodies_per_turn: int = 100  # bodies posted to one agency per claim


def retry_delay(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s … at most 15 min: the wait after failure number ``attempts``."""
    return timedelta(seconds=min(MAX_RETRY, FIRST_RETRY * 2.0 ** max(attempts - 1, 0)))


async def _claim(agency: Agency) -> bool:
    now = clock.now()
    return bool(await Agency.filter(
        Q(next_attempt_at=None) | Q(next_attempt_at__lte=now), id=agency.id, active=True,
    ).update(next_attempt_at=now + LEASE))


async def _succeeded(agency: Agency, cursor: int) -> None:
    # Conditional on the cursor it started from: an admin's replay meanwhile wins.
    await Agency.filter(id=agency.id, cursor=agency.cursor).update(
        cursor=cursor, attempts=0, failing_since=None, last_error="",
        delivered_at=clock.now())


async def _failed(agency: Agency, events: list[ExchangeEvent], error: str) -> None:
    now = clock.now()
    since = agency.failing_since or now
    attempts = agency.attempts + 1
    if now - since < GIVE_UP:
        await Agency.filter(id=agency.id, cursor=agency.cursor).update(
            attempts=attempts, failing_since=since, next_attempt_at=now + retry_delay(attempts),
            last_error=error[:300])
        return
    logger.warning("exchange: events dead for an agency after 24 h",
                   extra={"agency": agency.code, "first": events[0].id, "last": events[-1].id})
    async with in_transaction():
        moved = await Agency.filter(id=agency.id, cursor=agency.cursor).update(
            cursor=events[-1].id, attempts=0, failing_since=None, next_attempt_at=None,
            last_error=f"dead: {error}"[:300])
        if moved:
            await DeadLetter.bulk_create([DeadLetter(
                agency_id=agency.id, event_id=e.id, error=error[:300], attempts=attempts,
                first_failed_at=since, died_at=now) for e in events])


async def _release(agency: Agency, cursor: int) -> None:
    """Nothing entitled to send: pass the cursor over the rest and free the claim."""
    await Agency.filter(id=agency.id, cursor=agency.cursor).update(cursor=cursor)
    await Agency.filter(id=agency.id).update(next_attempt_at=None)


async def _send(agency: Agency, events: list[ExchangeEvent], cipher: FieldCipher,
                transport: Transport, config: Config) -> str | None:
    """Post one body of events; None when the agency took them, else why not."""
    body, media, msg_id = envelope.body(events, config.source, batch=agency.batch_size > 1)
    headers = signing.headers(subscribers.secret_of(agency, cipher), msg_id,
                              int(time.time()), body)
    headers["content-type"] = media
    try:
        status = await transport.post(agency.url, body, headers)
    except DeliveryFailed as exc:
        return f"no answer: {exc}"
    return None if 200 <= status < 300 else f"HTTP {status}"


async def deliver_one(agency: Agency, horizon: int, cipher: FieldCipher, transport: Transport,
                      config: Config) -> int:
    """Tries for one (claimed) agency, one body after another until a failure, or
    ``config.bodies_per_turn`` bodies, or half the lease; how many events it took.

    The cursor is written once, after the run (a commit per body would cost more than the
    post): a crash in between only makes the agency get those events again."""
    events = await ExchangeEvent.filter(  # R-P7: only the categories it is entitled to
        id__gt=agency.cursor, id__lte=horizon, category__in=agency.event_types,
    ).order_by("id").limit(agency.batch_size * config.bodies_per_turn)
    if not events:
        await _release(agency, max(agency.cursor, horizon))
        return 0
    taken, error, started = 0, None, time.monotonic()
    for start in range(0, len(events), agency.batch_size):
        chunk = events[start:start + agency.batch_size]
        if (error := await _send(agency, chunk, cipher, transport, config)) is not None:
            failed = chunk
            break
        taken += len(chunk)
        if time.monotonic() - started > LEASE.total_seconds() / 2:
            break  # the lease must outlast the run: the rest in the next claim
    if taken:
        await _succeeded(agency, events[taken - 1].id)
        agency.cursor, agency.attempts, agency.failing_since = events[taken - 1].id, 0, None
    if error is not None:
        await _failed(agency, failed, error)
    elif taken == len(events) and len(events) < agency.batch_size * config.bodies_per_turn:
        await _release(agency, max(agency.cursor, horizon))  # nothing more entitled
    else:
        await Agency.filter(id=agency.id).update(next_attempt_at=None)
    return taken


async def deliver_due(cipher: FieldCipher, transport: Transport,
                      config: Config = Config()) -> int:
    """One turn: every due agency gets one try (agencies in parallel); events delivered."""
    now = clock.now()
    due = await Agency.filter(Q(next_attempt_at=None) | Q(next_attempt_at__lte=now),
                              active=True).order_by("id")
    if not due:
        return 0
    top = await log.horizon()
    gate = asyncio.Semaphore(config.concurrency)

    async def one(agency: Agency) -> int:
        async with gate:
            if not await _claim(agency):
                return 0
            try:
                return await deliver_one(agency, top, cipher, transport, config)
            except Exception:
                await Agency.filter(id=agency.id).update(next_attempt_at=None)
                raise

    counts = await asyncio.gather(*(one(a) for a in due))
    return sum(counts)
