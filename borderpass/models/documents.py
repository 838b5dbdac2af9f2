"""Uploaded documents (ID cards, licences, photos), stored content-addressed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from borderpass.models.users import User


class Document(Model):
    """One uploaded image of a given kind, owned by the user who uploaded it."""

    id = fields.IntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="documents"
    )
    kind = fields.CharField(max_length=40)
    sha256 = fields.CharField(max_length=64)
    # its stored name when sealed under the owner's subject key (R-D7); None: ``sha256``
    file_name = fields.CharField(max_length=64, null=True)
    mime = fields.CharField(max_length=40)
    size = fields.IntField()
    width = fields.IntField()
    height = fields.IntField()
    ocr: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "documents"
