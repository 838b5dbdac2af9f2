"""Personal data life (PIPL): consents to the privacy notice, and data exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from borderpass.models.users import User


class PrivacyConsent(Model):
    """One separate consent to one version of the privacy notice (PIPL art. 29), or its
    withdrawal: which text (version, locale, hash), when, through which channel."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="privacy_consents")
    version = fields.CharField(max_length=10)
    locale = fields.CharField(max_length=8)
    text_sha256 = fields.CharField(max_length=64)
    channel = fields.CharField(max_length=10)
    given_at = fields.DatetimeField()
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "privacy_consents"


class DataExport(Model):
    """A user's request for a copy of their data: built by the worker, fetched by them only,
    deleted when it expires."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="data_exports")
    status = fields.CharField(max_length=10, default="pending")  # pending | ready | failed
    locale = fields.CharField(max_length=8, default="zh_CN")
    sha256 = fields.CharField(max_length=64, null=True)  # the zip in the file store
    size = fields.IntField(null=True)
    requested_at = fields.DatetimeField()
    ready_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "data_exports"
