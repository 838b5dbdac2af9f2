"""Data keys — 数据密钥: which keys sealed this database, checked at every start (R-U7)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

CURRENT, RETIRING, RETIRED = "current", "retiring", "retired"


class DataKey(Model):
    """One data key by its id and check value (never the key): current, retiring or retired.

    ``index_sealed`` is the blind-index key sealed under this data key, so a rotation
    carries the same index key over and lookups by blind index keep working.
    """

    id = fields.IntField(primary_key=True)
    kid = fields.CharField(max_length=16, unique=True)
    check_value = fields.CharField(max_length=64)
    index_sealed = fields.TextField()
    state = fields.CharField(max_length=10, default=CURRENT)
    created_at = fields.DatetimeField(auto_now_add=True)
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "data_keys"


class SubjectKey(Model):
    """One person's subject key (R-D7), wrapped (sealed) by the data key; their document
    files and data exports are sealed under it. Deleting the row on erasure destroys the
    key — crypto-shredding: every copy of those files, in backups too, stays sealed.
    A rotation of the data key only re-wraps this row."""

    id = fields.IntField(primary_key=True)
    user_id = fields.IntField(unique=True)  # no foreign key: the user row may outlive it
    wrapped = fields.TextField()  # the key, base64, sealed with context subject_key:<user id>
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "subject_keys"
