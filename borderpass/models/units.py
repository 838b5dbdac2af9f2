"""Units (单位) and the credit pass list (信用通行名单) they manage (R-U1 … R-U7)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from borderpass.models.documents import Document
    from borderpass.models.filings import Filing, FilingDriver
    from borderpass.models.profiles import OrganisationProfile
    from borderpass.models.users import User


class UnitKind(StrEnum):
    """R-U1: who may bring people onto the list."""

    GOVERNMENT = "government"  # 党政机关、事业单位、法定机构、驻区单位
    ENTERPRISE = "enterprise"  # 依法注册登记的企业
    SOCIAL_ORGANISATION = "social_organisation"  # 社会团体、民办非企业单位、基金会
    COMMUNITY = "community"  # 社区居委会 (for residents)
    FREQUENT_PASSAGE = "frequent_passage"  # 因公需经常进出的相关单位


class UnitStatus(StrEnum):
    """pending → active | refused, active → deregistered (R-U2, R-U6)."""

    PENDING = "pending"
    ACTIVE = "active"
    REFUSED = "refused"
    DEREGISTERED = "deregistered"


class MemberStatus(StrEnum):
    """pending → verified | rejected, verified → listed, any live state → removed (R-U3 … R-U6)."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    LISTED = "listed"
    REMOVED = "removed"


LIVE_MEMBER_STATES = (MemberStatus.PENDING, MemberStatus.VERIFIED, MemberStatus.LISTED)


class RemovalReason(StrEnum):
    """R-U6: why an entry left the list."""

    LEFT = "left"  # left the unit (removed by the unit)
    ASKED = "asked"  # the person asked (removed by the unit)
    DISHONEST = "dishonest"  # serious dishonesty list (removed by the platform)
    UNIT_DEREGISTERED = "unit_deregistered"  # the unit was deregistered (platform, cascade)


class Unit(Model):
    """Unit — 单位: a government body, enterprise, social organisation or community committee."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(UnitKind, max_length=20)
    uscc = fields.CharField(max_length=18, db_index=True)
    contact_name = fields.CharField(max_length=50)
    contact_phone = fields.CharField(max_length=20)  # "" once sealed: see ``sealed``
    sealed: fields.Field[dict[str, str]] = fields.JSONField(default=dict)  # contact_phone
    contact_phone_key = fields.CharField(max_length=64, null=True, db_index=True)
    status = fields.CharEnumField(UnitStatus, max_length=12, default=UnitStatus.PENDING)
    registered_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="registered_units"
    )
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="decided_units", null=True
    )
    decided_at = fields.DatetimeField(null=True)
    refusal_reason = fields.CharField(max_length=500, default="")
    deregistered_at = fields.DatetimeField(null=True)
    deregistration_reason = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    # R-P1: the organisation profile the registration was filled from, if any
    profile: fields.ForeignKeyNullableRelation[OrganisationProfile] = fields.ForeignKeyField(
        "borderpass.OrganisationProfile", related_name="units", null=True,
        on_delete=fields.SET_NULL,
    )

    class Meta:
        table = "units"


class UnitDocument(Model):
    """A supporting document of a unit's registration (licence, seal, official letter)."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "units.Unit", related_name="documents"
    )
    kind = fields.CharField(max_length=40)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "borderpass.Document", related_name="unit_attachments"
    )

    class Meta:
        table = "unit_documents"
        unique_together = (("unit", "kind"),)


class UnitAdmin(Model):
    """A user holding the unit_admin role for one unit (who verifies, manages: R-U4)."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "units.Unit", related_name="admins"
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="unit_admin_of"
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "unit_admins"
        unique_together = (("unit", "user"),)


class RegistrationCode(Model):
    """The one live registration code of a unit (一单位一码, R-U2), a WeChat scene token."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "units.Unit", related_name="codes"
    )
    scene = fields.CharField(max_length=32, unique=True)
    png_sha256 = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "unit_registration_codes"


class Commitment(Model):
    """A signed credit commitment (信用承诺): which text, in which language, its hash, when."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=10)  # personal | unit
    version = fields.CharField(max_length=10)
    locale = fields.CharField(max_length=8)
    text_sha256 = fields.CharField(max_length=64)
    signed_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="commitments"
    )
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "units.Unit", related_name="commitments"
    )
    signed_at = fields.DatetimeField()

    class Meta:
        table = "unit_commitments"


class ListUpload(Model):
    """One upload of verified members to the platform under the unit commitment (R-U4)."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "units.Unit", related_name="uploads"
    )
    uploaded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="unit_uploads"
    )
    commitment: fields.ForeignKeyRelation[Commitment] = fields.ForeignKeyField(
        "units.Commitment", related_name="uploads"
    )
    member_count = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "unit_list_uploads"


class Membership(Model):
    """Membership — 备案名单条目: one person driving one vehicle, submitted to one unit (R-U3)."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "units.Unit", related_name="members"
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="unit_memberships"
    )
    filing: fields.ForeignKeyRelation[Filing] = fields.ForeignKeyField(
        "borderpass.Filing", related_name="unit_memberships"
    )
    driver: fields.ForeignKeyNullableRelation[FilingDriver] = fields.ForeignKeyField(
        "borderpass.FilingDriver", related_name="unit_memberships", null=True,
        on_delete=fields.SET_NULL,
    )
    # A snapshot of who and what was listed, kept if the filing is later edited or renewed.
    person_name = fields.CharField(max_length=50)
    phone = fields.CharField(max_length=20, default="")  # "" once sealed: see ``sealed``
    sealed: fields.Field[dict[str, str]] = fields.JSONField(default=dict)  # id_number, phone
    phone_key = fields.CharField(max_length=64, null=True, db_index=True)  # blind index
    person_key = fields.CharField(max_length=64, db_index=True)  # blind index of the id number
    is_owner = fields.BooleanField(default=False)
    self_use = fields.BooleanField(default=True)  # personal (self-use) vehicle, R-U5
    plate_number = fields.CharField(max_length=12, default="")
    vehicle_key = fields.CharField(max_length=40, db_index=True)  # VIN, else the plate
    status = fields.CharEnumField(MemberStatus, max_length=10, default=MemberStatus.PENDING)
    commitment: fields.ForeignKeyRelation[Commitment] = fields.ForeignKeyField(
        "units.Commitment", related_name="memberships"
    )
    upload: fields.ForeignKeyNullableRelation[ListUpload] = fields.ForeignKeyField(
        "units.ListUpload", related_name="members", null=True
    )
    submitted_at = fields.DatetimeField()
    decided_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="decided_memberships", null=True
    )
    decided_at = fields.DatetimeField(null=True)
    rejection_reason = fields.CharField(max_length=500, default="")
    listed_at = fields.DatetimeField(null=True)
    removed_at = fields.DatetimeField(null=True)
    removed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="removed_memberships", null=True
    )
    removal_reason = fields.CharField(max_length=20, default="")
    removal_note = fields.CharField(max_length=500, default="")

    class Meta:
        table = "unit_memberships"
        indexes = (("unit_id", "status"), ("vehicle_key", "status"), ("plate_number", "status"))


class DishonestySubject(StrEnum):
    """What a dishonesty record names (R-U6)."""

    PERSON = "person"  # by the blind index of the identity number, never the number
    VEHICLE = "vehicle"  # by VIN or plate, as ``Membership.vehicle_key`` / ``plate_number``


class DishonestyRecord(Model):
    """A platform removal for serious dishonesty (R-U6): who, why, by whom, when, until.

    In force while ``lifted_at`` is NULL and ``until`` is NULL or later than now; every join,
    every unit verification and the credit handling read it (``services.crossings.dishonesty``)."""

    id = fields.IntField(primary_key=True)
    subject_kind = fields.CharEnumField(DishonestySubject, max_length=8)
    subject_key = fields.CharField(max_length=64, db_index=True)
    subject_label = fields.CharField(max_length=100)  # masked name and plate, for staff
    reason = fields.CharField(max_length=500)
    recorded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="dishonesty_records"
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    until = fields.DatetimeField(null=True)
    removed_count = fields.IntField(default=0)
    lifted_at = fields.DatetimeField(null=True)
    lifted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="lifted_dishonesty_records", null=True
    )
    lift_reason = fields.CharField(max_length=500, default="")

    class Meta:
        table = "unit_dishonesty_records"
        indexes = (("subject_key", "lifted_at"),)


class UnitNotice(Model):
    """A notice owed to a person or unit admin (verified, rejected, removed …), until pushed."""

    id = fields.IntField(primary_key=True)
    recipient: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="unit_notices"
    )
    unit: fields.ForeignKeyRelation[Unit] = fields.ForeignKeyField(
        "units.Unit", related_name="notices"
    )
    membership: fields.ForeignKeyNullableRelation[Membership] = fields.ForeignKeyField(
        "units.Membership", related_name="notices", null=True
    )
    kind = fields.CharField(max_length=30)
    params: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    delivered_at = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "unit_notices"


__all__ = [
    "LIVE_MEMBER_STATES",
    "Commitment",
    "DishonestyRecord",
    "DishonestySubject",
    "ListUpload",
    "MemberStatus",
    "Membership",
    "RegistrationCode",
    "RemovalReason",
    "Unit",
    "UnitAdmin",
    "UnitDocument",
    "UnitKind",
    "UnitNotice",
    "UnitStatus",
]
