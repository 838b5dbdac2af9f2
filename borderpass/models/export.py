"""Used-car export (二手车出口): enterprise filings, licences, clearances, exits, cancellations."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from borderpass.models.users import User


class FilingKind(StrEnum):
    """A new filing restarts the year, a change keeps the expiry date (R-E1)."""

    NEW = "new"
    CHANGE = "change"


class ExportFilingStatus(StrEnum):
    """submitted → approved | refused."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REFUSED = "refused"


class LicenceStatus(StrEnum):
    """submitted → issued | refused; issued → cleared | short → returned; or withdrawn."""

    SUBMITTED = "submitted"
    REFUSED = "refused"
    ISSUED = "issued"
    CLEARED = "cleared"
    SHORT = "short"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


class VehicleState(StrEnum):
    """A vehicle on a licence: applied, then cleared or left off, or released again."""

    APPLIED = "applied"
    CLEARED = "cleared"
    LEFT_OFF = "left_off"
    RELEASED = "released"


class Enterprise(Model):
    """Exporting enterprise — 二手车出口企业, known by its unified social credit code."""

    id = fields.IntField(primary_key=True)
    uscc = fields.CharField(max_length=18, unique=True)
    name = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "export_enterprises"


class EnterpriseMember(Model):
    """A WeChat user who files and applies for an enterprise.

    R-E2: the applicant of its first approved filing, then whoever a member invites or adds;
    one member is its contact person."""

    id = fields.IntField(primary_key=True)
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "export.Enterprise", related_name="members"
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="export_memberships"
    )
    is_contact = fields.BooleanField(default=False)
    added_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="export_members_added", null=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "export_enterprise_members"
        unique_together = (("enterprise", "user"),)


class EnterpriseInvitation(Model):
    """A one-use invitation code a member hands a colleague to join the enterprise (R-E2).

    Only its SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "export.Enterprise", related_name="invitations"
    )
    code_key = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="export_invitations"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    used_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="export_invitations_used", null=True
    )

    class Meta:
        table = "export_enterprise_invitations"


class EnterpriseFiling(Model):
    """Enterprise filing — 二手车出口企业备案: valid a year from approval (R-E1)."""

    id = fields.IntField(primary_key=True)
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "export.Enterprise", related_name="filings"
    )
    applicant: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="export_filings"
    )
    kind = fields.CharEnumField(FilingKind, max_length=8)
    status = fields.CharEnumField(
        ExportFilingStatus, max_length=10, default=ExportFilingStatus.SUBMITTED
    )
    data: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    sealed: fields.Field[dict[str, str]] = fields.JSONField(default=dict)  # contact_phone
    contact_phone_key = fields.CharField(max_length=64, null=True, db_index=True)
    documents: fields.Field[dict[str, int]] = fields.JSONField(default=dict)
    submitted_at = fields.DatetimeField(db_index=True)
    review_due_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    reviewer: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="reviewed_export_filings", null=True
    )
    refusal_reasons: fields.Field[list[dict[str, str]]] = fields.JSONField(default=list)
    approved_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "export_filings"


class Licence(Model):
    """Export licence — 二手车出口许可证: up to 20 vehicles, one commodity code (R-E3)."""

    id = fields.IntField(primary_key=True)
    enterprise: fields.ForeignKeyRelation[Enterprise] = fields.ForeignKeyField(
        "export.Enterprise", related_name="licences"
    )
    applicant: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="export_licences"
    )
    status = fields.CharEnumField(LicenceStatus, max_length=10, default=LicenceStatus.SUBMITTED)
    number = fields.CharField(max_length=20, null=True, unique=True)
    exporter = fields.CharField(max_length=100)
    consignor = fields.CharField(max_length=100)
    goods_state = fields.CharField(max_length=10, default="used")
    commodity_code = fields.CharField(max_length=10)
    destination = fields.CharField(max_length=2)
    customs_zone = fields.CharField(max_length=100, default="")
    vehicle_count = fields.SmallIntField()
    documents: fields.Field[dict[str, int]] = fields.JSONField(default=dict)
    submitted_at = fields.DatetimeField(db_index=True)
    issue_due_at = fields.DatetimeField()
    issued_at = fields.DatetimeField(null=True)
    issue_working_days = fields.SmallIntField(null=True)
    officer: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="issued_export_licences", null=True
    )
    refusal_reasons: fields.Field[list[dict[str, str]]] = fields.JSONField(default=list)
    declaration_number = fields.CharField(max_length=30, default="")
    cleared_at = fields.DatetimeField(null=True)
    cleared_count = fields.SmallIntField(null=True)
    return_by = fields.DatetimeField(null=True)
    returned_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    vehicles: fields.ReverseRelation[LicenceVehicle]

    class Meta:
        table = "export_licences"


class LicenceVehicle(Model):
    """One vehicle on a licence, as on its registration certificate (R-E8)."""

    id = fields.IntField(primary_key=True)
    licence: fields.ForeignKeyRelation[Licence] = fields.ForeignKeyField(
        "export.Licence", related_name="vehicles"
    )
    position = fields.SmallIntField()
    vin = fields.CharField(max_length=17, db_index=True)
    # The VIN while the row holds it (applied, cleared, left off); NULL once released. The
    # unique index keeps a VIN on one live licence even under concurrent applications.
    live_vin = fields.CharField(max_length=17, null=True, unique=True)
    brand = fields.CharField(max_length=50)
    model = fields.CharField(max_length=50)
    certificate_number = fields.CharField(max_length=20)
    certificate_document_id = fields.IntField()
    pending_export_on = fields.DateField(null=True)
    owner_changed_on = fields.DateField(null=True)
    state = fields.CharEnumField(VehicleState, max_length=10, default=VehicleState.APPLIED)
    cleared_at = fields.DatetimeField(null=True)
    cancel_due_at = fields.DatetimeField(null=True, db_index=True)
    reminded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "export_licence_vehicles"
        indexes = (("state", "cancel_due_at"),)


class VehicleExit(Model):
    """The recorded exit of a cleared vehicle (by customs, or the gate bridge)."""

    id = fields.IntField(primary_key=True)
    vehicle: fields.OneToOneRelation[LicenceVehicle] = fields.OneToOneField(
        "export.LicenceVehicle", related_name="exit"
    )
    vin = fields.CharField(max_length=17, db_index=True)
    exited_at = fields.DatetimeField()
    source = fields.CharField(max_length=10)
    port = fields.CharField(max_length=40, default="")
    recorded_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="recorded_export_exits", null=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "export_vehicle_exits"


class Cancellation(Model):
    """Registration cancellation — 注销登记 of an exported vehicle: final for its VIN (R-E7)."""

    id = fields.IntField(primary_key=True)
    vehicle: fields.OneToOneRelation[LicenceVehicle] = fields.OneToOneField(
        "export.LicenceVehicle", related_name="cancellation"
    )
    vin = fields.CharField(max_length=17, unique=True)
    cancelled_on = fields.DateField()
    qr_text = fields.CharField(max_length=1000)
    qr_key = fields.CharField(max_length=64, unique=True)
    document_id = fields.IntField(null=True)
    late = fields.BooleanField(default=False)
    recorded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="export_cancellations"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "export_cancellations"


class OwnerChangeClearance(Model):
    """The authorities' clearance of an owner change after transfer-pending-export (R-E6)."""

    id = fields.IntField(primary_key=True)
    vin = fields.CharField(max_length=17, unique=True)
    reason = fields.CharField(max_length=500)
    granted_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="export_owner_clearances"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "export_owner_change_clearances"
