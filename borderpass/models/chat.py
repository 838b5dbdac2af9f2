"""The chat bot's queue of photos waiting to be read, kept in the record (not in Redis)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ChatPhoto(Model):
    """One photo sent in chat, waiting to be stored, read and put on its draft, in order."""

    id = fields.BigIntField(primary_key=True)
    openid = fields.CharField(max_length=64)
    filing_id = fields.IntField()
    slot = fields.CharField(max_length=40, default="")
    media_id = fields.CharField(max_length=256)
    created_at = fields.DatetimeField()

    class Meta:
        table = "chat_photos"
        indexes = (("openid", "id"), ("created_at",))


class ChatPhotoRun(Model):
    """The one worker reading a user's photos, until ``until`` (then another may take over)."""

    openid = fields.CharField(max_length=64, primary_key=True)
    until = fields.DatetimeField()

    class Meta:
        table = "chat_photo_runs"
