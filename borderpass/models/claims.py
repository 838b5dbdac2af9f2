"""Review claims (审核占用): which reviewer holds which submitted filing, until when."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ReviewClaim(Model):
    """One live or lapsed claim per filing (unique): the reviewer holding it and its expiry.

    The record is here, in the database, not in Redis (DESIGN: PostgreSQL is the record), so
    a restart or a lost cache never lets two reviewers decide one filing unknowingly. A
    lapsed claim is free for anyone; taking over a live one is an explicit, audited act."""

    id = fields.IntField(primary_key=True)
    filing_id = fields.IntField(unique=True)
    user_id = fields.IntField()
    holder = fields.CharField(max_length=100)  # the name shown to the other reviewers
    claimed_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "review_claims"
