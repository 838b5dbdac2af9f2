"""The audit trail: every staff read or change of personal data is recorded (R-U7), in a
tamper-evident hash chain.

Each row carries ``prev_hash``, the ``row_hash`` of the row before it (by id), and its own
``row_hash``: SHA-256 over a canonical JSON form of its content and ``prev_hash``. Appends are
serialised (a transaction-scoped PostgreSQL advisory lock; SQLite has one writer), so two
appends at once never fork the chain. ``verify`` walks it and names the first broken row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from borderpass.adapters import dialect
from borderpass.models import AuditEvent, User
from borderpass.services import clock

GENESIS = "0" * 64  # the prev_hash of the first row
LOCK_KEY = 0x62705F6175646974  # "bp_audit": the advisory lock of appends
RETENTION_DAYS = 183  # R-U7: at least 6 months; the database refuses younger deletions
_PAGE = 1000


def canonical(event: AuditEvent) -> bytes:
    """The row's content as the hash sees it: sorted-key compact JSON, UTC microseconds."""
    return _canonical_values(event.actor_id, event.action,  # type: ignore[attr-defined]
                             event.subject_type, event.subject_id, event.field_names,
                             event.detail, event.at, event.prev_hash)


def _canonical_values(actor_id: int | None, action: str, subject_type: str, subject_id: int,
                      field_names: Any, detail: Any, at: datetime, prev_hash: str | None
                      ) -> bytes:
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    body = {
        "actor_id": actor_id,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "field_names": list(field_names),
        "detail": detail,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def row_hash(event: AuditEvent) -> str:
    """SHA-256 (hex) of the row's canonical form, which includes the previous row's hash."""
    return hashlib.sha256(canonical(event)).hexdigest()


async def record(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: int,
    field_names: Sequence[str] = (),
    **detail: Any,
) -> None:
    """Append one audit event to the chain (R-U7)."""
    now = clock.now().astimezone(UTC)
    detail = json.loads(json.dumps(detail, default=str))  # as stored and read back
    async with in_transaction() as conn:
        prev = await _lock_and_head(conn)
        event = AuditEvent(actor=actor, action=action, subject_type=subject_type,
                           subject_id=subject_id, field_names=list(field_names),
                           detail=detail, at=now, prev_hash=prev)
        event.row_hash = row_hash(event)
        await event.save(using_db=conn)


async def _lock_and_head(conn: BaseDBAsyncClient) -> str:
    """Take the append lock and return the chain's head hash, chaining first any rows written
    before the chain existed (they can only be at the tail: see ``_seal_tail``)."""
    await dialect.transaction_lock(conn, LOCK_KEY)
    last = await AuditEvent.all().using_db(conn).order_by("-id").first()
    if last is None:
        return GENESIS
    if last.row_hash is not None:
        return last.row_hash
    return await _seal_tail(conn)


async def _seal_tail(conn: BaseDBAsyncClient) -> str:
    """Chain the unchained rows after the last chained one (rows from before migration 0007);
    the hash of the new head. Runs under the append lock."""
    chained = await AuditEvent.filter(row_hash__isnull=False).using_db(conn) \
        .order_by("-id").first()
    prev, after = (chained.row_hash or GENESIS, chained.id) if chained else (GENESIS, 0)
    while True:
        rows = await AuditEvent.filter(id__gt=after).using_db(conn).order_by("id").limit(_PAGE)
        if not rows:
            return prev
        for event in rows:
            event.prev_hash = prev
            event.row_hash = prev = row_hash(event)
            await event.save(using_db=conn, update_fields=["prev_hash", "row_hash"])
        after = rows[-1].id


async def seal_pending() -> None:
    """Chain rows written before the chain existed (the first ``audit verify`` does this)."""
    async with in_transaction() as conn:
        await _lock_and_head(conn)


@dataclass(frozen=True)
class Verdict:
    """The outcome of a chain walk: rows checked, the head hash, the first broken row."""

    checked: int
    head: str
    broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        """True when every row links to the one before and matches its hash."""
        return self.broken_id is None


async def verify() -> Verdict:
    """Walk the chain in id order; the first row whose link or hash does not hold.

    An edited row fails its own hash; a deleted row breaks the next row's link; a row put
    back unchained in the middle is named too. Removing rows at the tail is seen only
    against a head recorded elsewhere (the command prints it). Reads the rows as plain
    tuples, streamed (constant memory): a PostgreSQL cursor, pages by id on SQLite."""
    prev, checked = GENESIS, 0
    async with aclosing(_chain()) as rows:  # closed (cursor, transaction) on a break
        async for row_id, actor_id, action, subject_type, subject_id, names, detail, at, \
                prev_hash, stored in rows:
            if stored is None:
                return Verdict(checked, prev, row_id, "unchained")
            if prev_hash != prev:
                return Verdict(checked, prev, row_id, "link")
            digest = hashlib.sha256(_canonical_values(
                actor_id, action, subject_type, subject_id, _json(names), _json(detail), at,
                prev_hash)).hexdigest()
            if digest != stored:
                return Verdict(checked, prev, row_id, "hash")
            prev, checked = stored, checked + 1
    return Verdict(checked, prev)


_COLUMNS = ("id, actor_id, action, subject_type, subject_id, field_names, detail, at, "
            "prev_hash, row_hash")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


async def _chain() -> AsyncGenerator[tuple[Any, ...], None]:
    """Every audit row in id order as a tuple of ``_COLUMNS``, without building models."""
    table = AuditEvent._meta.db_table
    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            raw = conn._connection  # asyncpg's, in this transaction
            async for rec in raw.cursor(f"SELECT {_COLUMNS} FROM {table} ORDER BY id",
                                        prefetch=5000):
                yield tuple(rec)
            return
    after = 0
    while True:
        page = await AuditEvent.filter(id__gt=after).order_by("id").limit(_PAGE).values_list(
            *(c.strip() for c in _COLUMNS.split(",")))
        if not page:
            return
        for row in page:
            yield tuple(row)
        after = page[-1][0]
