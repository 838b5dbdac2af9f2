"""The blacklist (R-F9) and the audit trail of personal-data access (R-U7)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from borderpass.models.enums import SubjectKind

if TYPE_CHECKING:
    from borderpass.models.crossings import Trip
    from borderpass.models.filings import Filing
    from borderpass.models.users import User


class BlacklistEntry(Model):
    """A person or organisation barred from declaring, e.g. the owner of an overstay (R-F9)."""

    id = fields.IntField(primary_key=True)
    subject_kind = fields.CharEnumField(SubjectKind, max_length=14)
    subject_key = fields.CharField(max_length=64, db_index=True)
    subject_label = fields.CharField(max_length=100)
    reason = fields.CharField(max_length=40)
    filing: fields.ForeignKeyNullableRelation[Filing] = fields.ForeignKeyField(
        "borderpass.Filing", related_name="blacklist_entries", null=True
    )
    trip: fields.ForeignKeyNullableRelation[Trip] = fields.ForeignKeyField(
        "borderpass.Trip", related_name="blacklist_entries", null=True, unique=True
    )
    suspected_smuggling = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    lifted_at = fields.DatetimeField(null=True)
    lifted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="lifted_entries", null=True
    )
    lift_reason = fields.CharField(max_length=500, default="")
    # An entry an agency sent (issue #21 B): listed only after a customs officer confirmed it
    source_agency_id = fields.IntField(null=True)

    class Meta:
        table = "blacklist"


class AuditEvent(Model):
    """Who read or changed which personal data, when (R-U7). Rows are append-only and
    chained: ``row_hash`` is SHA-256 over the row's canonical form and ``prev_hash``, the
    previous row's ``row_hash`` (``services.audit``; ``borderpass audit verify``)."""

    id = fields.BigIntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="audit_events", null=True
    )
    action = fields.CharField(max_length=20)
    subject_type = fields.CharField(max_length=30)
    subject_id = fields.IntField()
    field_names: fields.Field[list[str]] = fields.JSONField(default=list)
    detail: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    prev_hash = fields.CharField(max_length=64, null=True)
    row_hash = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "audit_events"
