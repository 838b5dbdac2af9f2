"""The outbox: one row per intended message, unique per event, claimed under a lease."""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from borderpass.adapters import rows
from borderpass.core.errors import Conflict, FieldError, NotFound
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.notify import DeliveryAttempt, Notification, NotificationStatus
from borderpass.services import clock
from borderpass.services.identity.access import require_role
from borderpass.services.notify import kinds

S = NotificationStatus
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
LIST_LIMIT = 200
ADMIN_ROLES = (Role.ADMIN,)


@dataclass(frozen=True)
class Intent:
    """A message to enqueue: who, what, in which language, unique by ``key``."""

    key: str
    user_id: int
    kind: str
    locale: str
    payload: dict[str, Any]
    not_before: datetime | None = None


# PostgreSQL: one statement for a whole sweep page, arrays in, duplicates ignored.
_PG_INSERT = (
    "INSERT INTO notifications (dedupe_key, user_id, kind, locale, payload, status, next_at,"
    " attempts, maybe_delivered, last_error, created_at)"
    " SELECT k, u, t, l, p::jsonb, 'pending', n, 0, false, '', $7"
    " FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[],"
    " $6::timestamptz[]) AS x(k, u, t, l, p, n)"
    " ON CONFLICT (dedupe_key) DO NOTHING")


async def enqueue(intents: Sequence[Intent], db: BaseDBAsyncClient | None = None) -> int:
    """Insert the intents, ignoring keys already queued; how many rows were offered.
    ``db``: the caller's transaction, when it is not the task's current one."""
    if not intents:
        return 0
    if any(i.kind not in kinds.KINDS for i in intents):
        raise ValueError("unknown notification kind")
    now = clock.now()
    db = db or connections.get("default")
    if db.capabilities.dialect == "postgres":
        columns = [[i.key for i in intents], [i.user_id for i in intents],
                   [i.kind for i in intents], [i.locale for i in intents],
                   [json.dumps(i.payload, ensure_ascii=False) for i in intents],
                   [i.not_before or now for i in intents], now]
        await db.execute_query(_PG_INSERT, columns)
    else:
        rows = [Notification(dedupe_key=i.key, user_id=i.user_id, kind=i.kind, locale=i.locale,
                             payload=i.payload, next_at=i.not_before or now) for i in intents]
        await Notification.bulk_create(rows, batch_size=1000, ignore_conflicts=True,
                                       using_db=db)
    return len(intents)


def insert_sql(intent: Intent, when: str = "") -> tuple[str, list[Any]]:
    """One intent's ``INSERT`` (``{}`` marks, ``when`` an optional SQL condition), to be
    written inside another service's statement: the message is queued with the change."""
    if intent.kind not in kinds.KINDS:
        raise ValueError("unknown notification kind")
    _, sql, params = rows.insert_sql(
        Notification, when, dedupe_key=intent.key, user_id=intent.user_id, kind=intent.kind,
        locale=intent.locale, payload=intent.payload, next_at=intent.not_before or clock.now())
    return sql + " ON CONFLICT (dedupe_key) DO NOTHING", params


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at an hour: the wait before retry number ``attempts``."""
    return min(BACKOFF_BASE * (1 << max(attempts - 1, 0)), BACKOFF_CAP)


async def claim(limit: int, lease: timedelta) -> tuple[str, list[Notification]]:
    """Take up to ``limit`` due rows (or rows whose worker's lease ran out) for this worker."""
    now = clock.now()
    token = secrets.token_hex(8)
    async with in_transaction():
        ids = await Notification.filter(status__in=(S.PENDING, S.SENDING), next_at__lte=now) \
            .order_by("next_at", "id").limit(limit).select_for_update(skip_locked=True) \
            .values_list("id", flat=True)
        if not ids:
            return token, []
        await Notification.filter(id__in=list(ids), status__in=(S.PENDING, S.SENDING),
                                  next_at__lte=now) \
            .update(status=S.SENDING, next_at=now + lease, claim_token=token)
    return token, await Notification.filter(claim_token=token, status=S.SENDING).order_by("id")


async def mark_in_flight(channel: str, ids: Sequence[int]) -> None:
    """Note, before calling WeChat, which channel these rows are being sent through."""
    if ids:
        await Notification.filter(id__in=list(ids)).update(in_flight=channel,
                                                             in_flight_at=clock.now())


# Settling a claimed row only changes the object; flush() writes a whole batch at once.
SETTLED_FIELDS = ("status", "next_at", "claim_token", "attempts", "pinned_channel",
                  "pinned_since", "in_flight", "in_flight_at", "channel", "maybe_delivered",
                  "last_error", "sent_at")


def _settle(row: Notification, status: NotificationStatus, why: str = "", **changes: Any
            ) -> None:
    row.status = status
    row.last_error = why[:300]
    row.claim_token = None
    row.in_flight = None
    row.in_flight_at = None
    for name, value in changes.items():
        setattr(row, name, value)


def set_sent(row: Notification, channel: str, at: datetime) -> None:
    """Delivered through ``channel`` (WeChat's message id is on the attempt)."""
    _settle(row, S.SENT, channel=channel, sent_at=at)


def set_skipped(row: Notification, why: str) -> None:
    """Not sent because it no longer applies (the vehicle came back, a later reminder is due)."""
    _settle(row, S.SKIPPED, why)


def set_waiting(row: Notification, why: str) -> None:
    """No channel reaches the user now; resumed by their next grant or message."""
    _settle(row, S.WAITING, why)


def set_failed(row: Notification, why: str, *, maybe_delivered: bool = False) -> None:
    """Give up visibly: an admin sees it in the failed list and may retry it."""
    _settle(row, S.FAILED, why, maybe_delivered=maybe_delivered)


def set_deferred(row: Notification, until: datetime, why: str = "") -> None:
    """Put it back, due at ``until`` (quiet hours, waiting for the blacklist sweep)."""
    _settle(row, S.PENDING, why, next_at=until)


def set_retry(row: Notification, why: str, **pin: Any) -> None:
    """A failed try: retry after the backoff, or give up after MAX_ATTEMPTS."""
    if row.attempts >= MAX_ATTEMPTS:
        set_failed(row, f"gave up after {row.attempts} attempts: {why}")
    else:
        _settle(row, S.PENDING, why, next_at=clock.now() + backoff(row.attempts), **pin)


async def flush(token: str, rows: Sequence[Notification]) -> int:
    """Write the settled rows, one UPDATE per distinct outcome, only where this worker still
    holds the lease (a row whose lease ran out belongs to whoever claimed it since)."""
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for row in rows:
        if row.status is not S.SENDING:
            groups[tuple(getattr(row, f) for f in SETTLED_FIELDS)].append(row.id)
    written = 0
    for values, ids in groups.items():
        written += await Notification.filter(id__in=ids, claim_token=token, status=S.SENDING) \
            .update(**dict(zip(SETTLED_FIELDS, values, strict=True)))
    return written


async def wake(user_id: int) -> int:
    """Make a user's waiting messages due again (after a new grant or contact)."""
    return await Notification.filter(user_id=user_id, status=S.WAITING) \
        .update(status=S.PENDING, next_at=clock.now())


async def list_for_admin(user: User, status: object = "failed", limit: int = LIST_LIMIT
                         ) -> list[Notification]:
    """Notifications in one status (failed by default), newest first."""
    require_role(user, *ADMIN_ROLES)
    try:
        wanted = S(str(status))
    except ValueError as exc:
        raise FieldError("choice", "status", choices=", ".join(s.value for s in S)) from exc
    return await Notification.filter(status=wanted).order_by("-id").limit(limit)


async def detail_for_admin(user: User, notification_id: int
                           ) -> tuple[Notification, list[DeliveryAttempt]]:
    """One notification with every delivery attempt."""
    require_role(user, *ADMIN_ROLES)
    row = await Notification.get_or_none(id=notification_id)
    if row is None:
        raise NotFound("notification_not_found", "id")
    return row, await DeliveryAttempt.filter(notification_id=row.id).order_by("id")


async def retry(user: User, notification_id: int) -> Notification:
    """Send a failed (or waiting) notification again from scratch, at once."""
    require_role(user, *ADMIN_ROLES)
    row = await Notification.get_or_none(id=notification_id)
    if row is None:
        raise NotFound("notification_not_found", "id")
    changed = await Notification.filter(id=row.id, status__in=(S.FAILED, S.WAITING)).update(
        status=S.PENDING, next_at=clock.now(), attempts=0, pinned_channel=None,
        pinned_since=None, maybe_delivered=False, last_error="")
    if not changed:
        raise Conflict("notification_not_retryable", "id", status=row.status.value)
    await row.refresh_from_db()
    return row
