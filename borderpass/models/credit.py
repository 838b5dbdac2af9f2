"""Credit (R-P2): the events a party's credit is made of, its derived class, the cursor of
the crossings feed, and the fast lane's decisions on renewals."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class CreditEvent(Model):
    """One fact about a party (a person by the blind index of their identity number, an
    enterprise or unit by that of its USCC), from a named source with its own reference:
    ``(source, ref)`` is unique, so a retried or repeated write never counts twice. A lift
    or release names the ref of the event it ends (``lifts``), from the same source."""

    id = fields.BigIntField(primary_key=True)
    party_key = fields.CharField(max_length=64)
    party_kind = fields.CharField(max_length=12)  # person | organisation
    kind = fields.CharField(max_length=32)
    source = fields.CharField(max_length=40)
    ref = fields.CharField(max_length=100)
    lifts = fields.CharField(max_length=100, null=True)
    occurred_at = fields.DatetimeField()
    until = fields.DatetimeField(null=True)  # a record in force until then (dishonesty)
    detail: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)  # ids, no personal data
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "credit_events"
        unique_together = (("source", "ref"),)
        indexes = (("party_key", "occurred_at"),)


class CreditRecord(Model):
    """A party's class as the rules (version ``rule_version``) last derived it, the rule
    that decided and the event that caused it; ``recheck_at``: when time alone will change
    the answer (a record's term or a window ends), for the background loop."""

    id = fields.IntField(primary_key=True)
    party_key = fields.CharField(max_length=64, unique=True)
    party_kind = fields.CharField(max_length=12)
    label = fields.CharField(max_length=100, default="")  # masked name or enterprise name
    credit_class = fields.CharField(max_length=12, default="normal")
    rule = fields.CharField(max_length=12, default="")
    rule_version = fields.IntField(default=0)
    cause_event_id = fields.BigIntField(null=True)
    reasons: fields.Field[list[dict[str, Any]]] = fields.JSONField(default=list)
    recheck_at = fields.DatetimeField(null=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "credit_records"


class CreditCursor(Model):
    """How far a background feed has read (the trips feed: last trip id seen, and the ids
    of the trips it saw still open, read again until they close)."""

    name = fields.CharField(max_length=40, primary_key=True)
    position = fields.BigIntField(default=0)
    pending: fields.Field[list[int]] = fields.JSONField(default=list)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "credit_cursors"


class FastLaneDecision(Model):
    """What the fast lane (R-P2.6) did with one submitted renewal: approved by rule, or
    sampled to human review; with the rule, its version and the evidence. One per filing."""

    id = fields.IntField(primary_key=True)
    filing_id = fields.IntField(unique=True)
    party_key = fields.CharField(max_length=64)
    outcome = fields.CharField(max_length=10)  # approved | sampled
    rule = fields.CharField(max_length=12)
    rule_version = fields.IntField()
    evidence: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "credit_fast_lane"
