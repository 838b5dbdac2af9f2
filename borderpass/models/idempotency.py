"""Idempotent answers (幂等记录): the first answer to a client's ``Idempotency-Key``."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotencyRecord(Model):
    """One user's key and the answer it got, committed in the transaction of the write it
    answers, so a retry after a crash, a Redis loss or a lost answer gets the first answer.

    A row with no ``status`` is a claim still in progress; it is never committed that way
    (the claim is answered or deleted before its transaction ends)."""

    id = fields.BigIntField(primary_key=True)
    user_id = fields.IntField()
    key_digest = fields.CharField(max_length=64)
    fingerprint = fields.CharField(max_length=64)
    status = fields.SmallIntField(null=True)
    body = fields.TextField(null=True)
    created_at = fields.DatetimeField(db_index=True)  # the 24-hour retention sweep

    class Meta:
        table = "idempotency_records"
        unique_together = (("user_id", "key_digest"),)
