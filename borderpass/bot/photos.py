"""A per-user queue of photos — 照片队列: WeChat sends a multi-photo pick as back-to-back
messages, so every photo is queued and one worker per user reads them in order.

The queue is a table (PostgreSQL is the record): a Redis restart loses no photo. A job
leaves the queue only after it was handled, so a worker that dies mid-photo leaves it at
the head. One worker per user holds a lease (``chat_photo_runs``) renewed at each photo;
queueing and "take the next, or end the lease when empty" run under one per-user lock, so
a photo queued while the worker is finishing is never left without a worker. Photos whose
worker vanished (a crash, a restart) are resumed by :func:`stranded` once the lease ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from borderpass.models import ChatPhoto, ChatPhotoRun
from borderpass.services import clock

QUEUE_TTL = timedelta(hours=24)  # older photos are dropped (WeChat keeps media 3 days)
QUEUE_MAX = 20  # photos waiting per user: more are refused, not stored (a flood is no pick)
RUN_TTL = timedelta(seconds=300)  # a worker that died is replaced after this long


@dataclass(frozen=True)
class PhotoJob:
    """One photo to handle: the draft, the slot asked when it came, WeChat's media id, and
    its place in the queue once queued."""

    filing_id: int
    slot: str
    media_id: str
    id: int | None = None


@asynccontextmanager
async def _user_lock(openid: str) -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction holding the user's queue lock (SQLite runs one transaction at a time)."""
    async with in_transaction() as tx:
        if tx.capabilities.dialect == "postgres":
            await tx.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))",
                                   [f"chat_photos:{openid}"])
        yield tx


async def _take_lease(tx: BaseDBAsyncClient, openid: str) -> bool:
    """Take the user's worker lease unless a live worker holds it (under the user's lock)."""
    now = clock.now()
    run = await ChatPhotoRun.filter(openid=openid).using_db(tx).first()
    if run is not None and run.until > now:
        return False
    await ChatPhotoRun.update_or_create(defaults={"until": now + RUN_TTL}, openid=openid,
                                        using_db=tx)
    return True


class PhotoQueue:
    """Queue photos per user; tell the caller when a worker must be started."""

    async def put(self, openid: str, job: PhotoJob) -> tuple[bool, int]:
        """Queue ``job``: (True when no worker runs for this user, the queue's length —
        0 when the queue is full and ``job`` was refused)."""
        async with _user_lock(openid) as tx:
            waiting = await ChatPhoto.filter(openid=openid).using_db(tx).count()
            if waiting >= QUEUE_MAX:
                return False, 0
            await ChatPhoto.create(openid=openid, filing_id=job.filing_id, slot=job.slot[:40],
                                   media_id=job.media_id[:256], created_at=clock.now(),
                                   using_db=tx)
            return await _take_lease(tx, openid), waiting + 1

    async def next(self, openid: str, handled: PhotoJob | None = None) -> PhotoJob | None:
        """Drop ``handled`` from the queue and return the next job, renewing the lease;
        None ends the worker (and its lease)."""
        async with _user_lock(openid) as tx:
            if handled is not None and handled.id is not None:
                await ChatPhoto.filter(id=handled.id).using_db(tx).delete()
            head = await ChatPhoto.filter(openid=openid).using_db(tx).order_by("id").first()
            if head is None:
                await ChatPhotoRun.filter(openid=openid).using_db(tx).delete()
                return None
            await ChatPhotoRun.filter(openid=openid).using_db(tx).update(
                until=clock.now() + RUN_TTL)
            return PhotoJob(head.filing_id, head.slot, head.media_id, head.id)

    async def stop(self, openid: str) -> None:
        """A worker failed: let the next photo start another (its job stays queued)."""
        await ChatPhotoRun.filter(openid=openid).delete()

    async def drop(self, openid: str) -> None:
        """Forget the user's queued photos and worker (their account is gone)."""
        async with _user_lock(openid) as tx:
            await ChatPhoto.filter(openid=openid).using_db(tx).delete()
            await ChatPhotoRun.filter(openid=openid).using_db(tx).delete()

    async def waiting(self, openid: str) -> int:
        """How many photos of the user are queued."""
        return await ChatPhoto.filter(openid=openid).count()

    async def stranded(self, limit: int = 50) -> list[str]:
        """Users with queued photos and no live worker, their lease now taken by the caller
        (who must start a worker for each). Photos older than a day are dropped first."""
        await ChatPhoto.filter(created_at__lt=clock.now() - QUEUE_TTL).delete()
        found = await ChatPhoto.all().distinct().limit(limit).values_list("openid", flat=True)
        taken: list[str] = []
        for openid in sorted({str(o) for o in found}):
            async with _user_lock(openid) as tx:
                if await ChatPhoto.filter(openid=openid).using_db(tx).exists() \
                        and await _take_lease(tx, openid):
                    taken.append(openid)
        return taken
