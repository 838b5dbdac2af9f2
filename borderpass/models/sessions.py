"""Login sessions and login locks: the records that must survive a Redis restart (R-U7)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from borderpass.models.users import User


class UserSession(Model):
    """A login session: only the SHA-256 of its bearer token is stored.

    登录会话. Never the token itself, so a database dump opens no session (R-U7).
    """

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="sessions", db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "user_sessions"


class LoginLock(Model):
    """A staff login name locked after too many failed passwords (MLPS level 3).

    账户锁定; only an admin lifts it. Kept by name, known or not, so a lock says nothing
    about whether the account exists.
    """

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    failures = fields.IntField()
    locked_at = fields.DatetimeField()

    class Meta:
        table = "login_locks"
