"""Models of the notify context: the outbox of pushes, delivery attempts, channel state."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from borderpass.models.users import User


class NotificationStatus(StrEnum):
    """pending → sending → sent | pending (retry) | failed | waiting | skipped."""

    PENDING = "pending"  # due at next_at
    SENDING = "sending"  # claimed by a worker until next_at (the lease)
    SENT = "sent"
    FAILED = "failed"  # attempts exhausted, refused everywhere, or outcome unknown
    WAITING = "waiting"  # no channel reaches the user now: resumes on their next grant or contact
    SKIPPED = "skipped"  # no longer relevant or superseded by a later reminder


class Notification(Model):
    """Notification — 通知: one intended push in the outbox, unique per event (dedupe_key)."""

    id = fields.BigIntField(primary_key=True)
    dedupe_key = fields.CharField(max_length=160, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="notifications"
    )
    kind = fields.CharField(max_length=32)
    locale = fields.CharField(max_length=8)
    payload: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    status = fields.CharEnumField(
        NotificationStatus, max_length=8, default=NotificationStatus.PENDING
    )
    # When the row is next due: the send time, a retry time, or the end of a worker's lease.
    next_at = fields.DatetimeField()
    claim_token = fields.CharField(max_length=32, null=True)
    attempts = fields.SmallIntField(default=0)
    # After an ambiguous outcome on an idempotent channel, retry only there, and only so long.
    pinned_channel = fields.CharField(max_length=12, null=True)
    pinned_since = fields.DatetimeField(null=True)
    # Set just before a call to WeChat, cleared with its outcome: still set after a lease
    # ran out means the worker died mid-call and WeChat may have the message.
    in_flight = fields.CharField(max_length=12, null=True)
    in_flight_at = fields.DatetimeField(null=True)
    channel = fields.CharField(max_length=12, null=True)
    maybe_delivered = fields.BooleanField(default=False)
    last_error = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notifications"
        indexes = (("status", "next_at"),)


class DeliveryAttempt(Model):
    """One try to push a notification through one channel, and what WeChat answered."""

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "notify.Notification", related_name="delivery_attempts"
    )
    channel = fields.CharField(max_length=12)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField()
    outcome = fields.CharField(max_length=24)
    errcode = fields.IntField(null=True)
    msgid = fields.CharField(max_length=40, null=True)  # WeChat's id of the message sent
    detail = fields.CharField(max_length=300, default="")

    class Meta:
        table = "notification_attempts"


class SubscribeGrant(Model):
    """A user's grants for one mini-program subscribe template (one-time ones are counted)."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="subscribe_grants"
    )
    template_id = fields.CharField(max_length=64)
    remaining = fields.IntField(default=0)
    long_term = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscribe_grants"
        unique_together = (("user", "template_id"),)


class Recipient(Model):
    """A user's Official Account identity and their last message (the 48-hour window)."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "borderpass.User", related_name="recipient"
    )
    oa_openid = fields.CharField(max_length=64, unique=True, null=True)
    last_contact_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notify_recipients"


class SweepMark(Model):
    """How far in time a reminder sweep has looked, so a restart catches up exactly."""

    name = fields.CharField(max_length=32, primary_key=True)
    swept_until = fields.DatetimeField()

    class Meta:
        table = "notify_sweep_marks"
