"""Users: WeChat identities and staff accounts."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class User(Model):
    """A driver (from WeChat openid/unionid) or a staff member (username + password)."""

    id = fields.IntField(primary_key=True)
    openid = fields.CharField(max_length=64, unique=True, null=True)
    unionid = fields.CharField(max_length=64, null=True, db_index=True)
    username = fields.CharField(max_length=64, unique=True, null=True)
    password_hash = fields.CharField(max_length=255, null=True)
    display_name = fields.CharField(max_length=100, default="")
    phone = fields.CharField(max_length=20, null=True)  # None once sealed: see ``sealed``
    sealed: fields.Field[dict[str, str]] = fields.JSONField(default=dict)  # phone (R-U7)
    phone_key = fields.CharField(max_length=64, null=True, db_index=True)  # blind index
    locale = fields.CharField(max_length=8, default="zh_CN")
    timezone = fields.CharField(max_length=40, null=True)
    roles: fields.Field[list[str]] = fields.JSONField(default=list)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # deletion on request (R-D7): asked at, and done (profile erased, subject key destroyed)
    erasure_requested_at = fields.DatetimeField(null=True)
    erased_at = fields.DatetimeField(null=True)

    class Meta:
        table = "users"

    def has_role(self, *roles: str) -> bool:
        """True when the user holds any of ``roles``."""
        return any(r in self.roles for r in roles)
