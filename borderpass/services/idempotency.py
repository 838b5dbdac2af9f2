"""Idempotent writes: a client's ``Idempotency-Key`` and its first answer, kept in the
database in the same transaction as the write it answers (the pattern payment APIs use).

A retry after a crash, a Redis loss or a lost answer finds the committed record and gets
the first answer; a request that failed rolled its claim back with its work, so its retry
runs at once. The claim is a row under a unique index: a concurrent twin's insert waits for
the first request's transaction, then replays its answer (or runs, if that one failed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from tortoise.transactions import in_transaction

from borderpass.adapters import rows
from borderpass.core.errors import Conflict, FieldError
from borderpass.models import IdempotencyRecord
from borderpass.services import clock

KEEP = timedelta(hours=24)  # a key answers its retries for a day, then it is swept
T = TypeVar("T")
_TABLE = IdempotencyRecord._meta.db_table
_MINE = "user_id = {} AND key_digest = {}"


@dataclass(frozen=True)
class Replay:
    """The first answer to a key: the status and JSON body to send again."""

    status: int
    body: str


class KeyInProgress(Conflict):
    """The key's first request is still running (seen only where claims cannot wait)."""

    retry_after = 1


def _when(moment: Any) -> Any:
    return IdempotencyRecord._meta.fields_map["created_at"].to_db_value(moment,
                                                                        IdempotencyRecord)


async def _insert_claim(user_id: int, digest: str, fingerprint: str) -> bool:
    """Insert the claim unless the key is held (a twin's insert waits for this
    transaction); True when inserted."""
    insert = (f"INSERT INTO {_TABLE} (user_id, key_digest, fingerprint, created_at) "
              "VALUES ({}, {}, {}, {}) ON CONFLICT (user_id, key_digest) DO NOTHING")
    params = (user_id, digest, fingerprint, _when(clock.now()))
    if IdempotencyRecord._meta.db.capabilities.dialect != "postgres":
        return bool(await rows.execute(IdempotencyRecord, insert, *params))
    # asyncpg's command tag of an INSERT reads as no row changed: count what it returned
    made = await rows.values(IdempotencyRecord, f"WITH made AS ({insert} RETURNING 1) "
                             "SELECT count(*) AS made FROM made", *params)
    return bool(made[0]["made"])


async def _claim(user_id: int, digest: str, fingerprint: str) -> Replay | None:
    """Inside the transaction: claim the key (None), or the first answer to this key."""
    for _ in range(2):  # a second turn after deleting an expired record
        if await _insert_claim(user_id, digest, fingerprint):
            return None
        held = await rows.first(IdempotencyRecord, _MINE, user_id, digest)
        if held is None:
            continue  # answered and swept in between: claim again
        if held.created_at <= clock.now() - KEEP:
            await rows.execute(IdempotencyRecord, f"DELETE FROM {_TABLE} WHERE id = {{}}",
                               held.id)
            continue
        if held.fingerprint != fingerprint:
            raise FieldError("idempotency_key_reused", "Idempotency-Key")
        if held.status is None or held.body is None:
            raise KeyInProgress("idempotency_in_progress", "Idempotency-Key")
        return Replay(held.status, held.body)
    raise KeyInProgress("idempotency_in_progress", "Idempotency-Key")


async def once(user_id: int, digest: str, fingerprint: str, work: Callable[[], Awaitable[T]],
               answer_of: Callable[[T], Replay | None]) -> T | Replay:
    """Run ``work`` once per user and key: its writes and its answer commit together.

    ``answer_of`` gives the answer to keep for a result, or None for a failure answered
    without an exception (its claim is dropped, what it wrote is kept). An exception rolls
    back the work and the claim together, so the retry runs again."""
    async with in_transaction():
        if (first := await _claim(user_id, digest, fingerprint)) is not None:
            return first
        result = await work()
        answer = answer_of(result)
        if answer is None:
            await rows.execute(IdempotencyRecord, f"DELETE FROM {_TABLE} WHERE {_MINE}",
                               user_id, digest)
        else:
            await rows.execute(IdempotencyRecord,
                               f"UPDATE {_TABLE} SET status = {{}}, body = {{}} WHERE {_MINE}",
                               answer.status, answer.body, user_id, digest)
        return result


async def sweep_expired() -> int:
    """Delete the records older than a day (indexed by creation time); how many."""
    return await rows.execute(IdempotencyRecord,
                              f"DELETE FROM {_TABLE} WHERE created_at < {{}}",
                              _when(clock.now() - KEEP))
