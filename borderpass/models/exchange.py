"""Exchange with other agencies (issue #21 B, R-P1, R-P2): subscribers, the ordered event
log, the crossings tailer's cursor, dead letters and the events agencies send us."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from borderpass.models.users import User


class Agency(Model):
    """Agency — 联检单位: customs, border inspection or the port office, as a subscriber of
    our events (its URL, entitled categories, delivery cursor) and a sender of its own."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharField(max_length=20)  # customs | border_inspection | port_office
    url = fields.CharField(max_length=500)
    secret_sealed = fields.TextField()  # whsec_…, sealed with the data key (R-U7)
    event_types: fields.Field[list[str]] = fields.JSONField(default=list)  # categories
    batch_size = fields.IntField(default=1)  # 1: one structured event per POST
    active = fields.BooleanField(default=True)
    cursor = fields.BigIntField(default=0)  # last event id delivered or passed over
    attempts = fields.IntField(default=0)  # failed tries of the event at the head
    failing_since = fields.DatetimeField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=300, default="")
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "exchange_agencies"


class ExchangeEvent(Model):
    """One outbound event, in the one ordered log; its id is every subscriber's cursor."""

    id = fields.BigIntField(primary_key=True)
    type = fields.CharField(max_length=60)
    category = fields.CharField(max_length=20)  # declarations | crossings | blacklist | …
    subject = fields.CharField(max_length=80)
    data: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    source_key = fields.CharField(max_length=80, null=True, unique=True)  # tailer: crossing:<id>
    at = fields.DatetimeField()

    class Meta:
        table = "exchange_events"
        indexes = (("category", "id"),)


class ExchangeTail(Model):
    """A tailer's cursor over another table (the gate's crossings), moved in the same
    transaction as the events it wrote; a gap seen in that table and since when."""

    name = fields.CharField(max_length=40, primary_key=True)
    cursor = fields.BigIntField(default=0)
    gap_seen_at = fields.DatetimeField(null=True)
    # PostgreSQL: the transactions open in this database when the gap was first seen
    gap_sessions: fields.Field[list[Any] | None] = fields.JSONField(null=True)

    class Meta:
        table = "exchange_tails"


class DeadLetter(Model):
    """An event a subscriber refused or could not take for 24 hours: passed over, kept
    visible for an admin to replay."""

    id = fields.IntField(primary_key=True)
    agency: fields.ForeignKeyRelation[Agency] = fields.ForeignKeyField(
        "borderpass.Agency", related_name="dead_letters")
    event_id = fields.BigIntField()
    error = fields.CharField(max_length=300, default="")
    attempts = fields.IntField(default=0)
    first_failed_at = fields.DatetimeField()
    died_at = fields.DatetimeField()
    replayed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "exchange_dead_letters"


class InboundEvent(Model):
    """An event an agency sent us, once per (agency, event id): an inspection result, a
    blacklist entry (held for review) or a credit event."""

    id = fields.BigIntField(primary_key=True)
    agency: fields.ForeignKeyRelation[Agency] = fields.ForeignKeyField(
        "borderpass.Agency", related_name="inbound")
    event_id = fields.CharField(max_length=100)
    type = fields.CharField(max_length=60)
    subject = fields.CharField(max_length=80, default="")
    data: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    crossing_id = fields.BigIntField(null=True)
    declaration_id = fields.IntField(null=True)
    filing_id = fields.IntField(null=True)
    status = fields.CharField(max_length=20)
    reviewed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="reviewed_agency_events", null=True)
    reviewed_at = fields.DatetimeField(null=True)
    review_note = fields.CharField(max_length=500, default="")
    received_at = fields.DatetimeField()

    class Meta:
        table = "exchange_inbound"
        unique_together = (("agency", "event_id"),)
