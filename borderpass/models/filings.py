"""Filings (备案) of vehicles, their drivers and materials, and official letters (公函)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from borderpass.models.enums import FilingCategory, FilingStatus, LetterStatus

if TYPE_CHECKING:
    from borderpass.models.documents import Document
    from borderpass.models.users import User


class OfficialLetter(Model):
    """A unit's official letter (单位公函), approved by the port office before filing (R-F2)."""

    id = fields.IntField(primary_key=True)
    applicant: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="official_letters"
    )
    unit_name = fields.CharField(max_length=100)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "borderpass.Document", related_name="letters"
    )
    status = fields.CharEnumField(LetterStatus, max_length=12, default=LetterStatus.PENDING)
    reviewer: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="reviewed_letters", null=True
    )
    reason = fields.CharField(max_length=500, default="")
    decided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # R-F2: what the letter names, typed by the applicant, checked by the approving reviewer:
    # [{"plate": …, "vin": …}] and [{"name": …, "id_sealed": …, "id_key": …}] (R-U7).
    vehicles: fields.Field[list[dict[str, str]]] = fields.JSONField(default=list)
    people: fields.Field[list[dict[str, str]]] = fields.JSONField(default=list)

    class Meta:
        table = "official_letters"


class Filing(Model):
    """Filing — 备案: one vehicle's registration for border crossings, valid a year (R-F3)."""

    id = fields.IntField(primary_key=True)
    applicant: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="filings"
    )
    category = fields.CharEnumField(FilingCategory, max_length=10)
    status = fields.CharEnumField(FilingStatus, max_length=10, default=FilingStatus.DRAFT)
    plate_number = fields.CharField(max_length=12, null=True, db_index=True)
    vin = fields.CharField(max_length=17, null=True, db_index=True)
    # Non-sensitive form fields (vehicle, organisation, mortgage, transfer …).
    data: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    # Sensitive form fields (owner identity number …), AES-GCM ciphertexts (R-U7).
    sealed: fields.Field[dict[str, str]] = fields.JSONField(default=dict)
    owner_key = fields.CharField(max_length=64, null=True, db_index=True)
    official_letter: fields.ForeignKeyNullableRelation[OfficialLetter] = fields.ForeignKeyField(
        "borderpass.OfficialLetter", related_name="filings", null=True
    )
    submitted_at = fields.DatetimeField(null=True, db_index=True)
    approved_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True, db_index=True)
    reviewer: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="reviewed_filings", null=True
    )
    return_reasons: fields.Field[list[dict[str, str]]] = fields.JSONField(default=list)
    returned_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=500, default="")
    # R-F3 renewal: the filing this one renews, from when it is in force (the renewed
    # filing's expiry, or the approval), and which fields differ from the renewed one.
    renews: fields.ForeignKeyNullableRelation[Filing] = fields.ForeignKeyField(
        "borderpass.Filing", related_name="renewals", null=True, db_index=True
    )
    # R-D6 correction: the filing in force this one corrects (and, approved, supersedes,
    # keeping its expiry); its changed fields are listed in ``renewal_changes`` too.
    corrects: fields.ForeignKeyNullableRelation[Filing] = fields.ForeignKeyField(
        "borderpass.Filing", related_name="corrections", null=True, db_index=True
    )
    starts_at = fields.DatetimeField(null=True)
    renewal_changes: fields.Field[list[str] | None] = fields.JSONField(null=True)
    # One live filing per VIN (index filings_one_live_vin): a filing and its renewal hold
    # the two slots, so the renewal is the one allowed overlap.
    vin_slot = fields.IntField(default=0, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    drivers: fields.ReverseRelation[FilingDriver]

    class Meta:
        table = "filings"


class FilingDriver(Model):
    """A driver listed on a filing (R-U5), identity numbers sealed and blind-indexed."""

    id = fields.IntField(primary_key=True)
    filing: fields.ForeignKeyRelation[Filing] = fields.ForeignKeyField(
        "borderpass.Filing", related_name="drivers"
    )
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="driving", null=True
    )
    position = fields.SmallIntField(default=0)
    name = fields.CharField(max_length=50)
    phone = fields.CharField(max_length=20, default="")  # "" once sealed: see ``sealed``
    is_owner = fields.BooleanField(default=False)
    # id_number, licence_number, permit_number, phone: AES-GCM ciphertexts (R-U7)
    sealed: fields.Field[dict[str, str]] = fields.JSONField(default=dict)
    id_key = fields.CharField(max_length=64, null=True, db_index=True)
    phone_key = fields.CharField(max_length=64, null=True, db_index=True)  # blind index

    class Meta:
        table = "filing_drivers"
        indexes = (("filing_id", "position"),)  # a filing's drivers, in order


class FilingDocument(Model):
    """A document attached to a filing as one of its required materials (R-F2)."""

    id = fields.IntField(primary_key=True)
    filing: fields.ForeignKeyRelation[Filing] = fields.ForeignKeyField(
        "borderpass.Filing", related_name="attachments"
    )
    kind = fields.CharField(max_length=40)
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "borderpass.Document", related_name="attachments"
    )

    class Meta:
        table = "filing_documents"
        unique_together = (("filing", "kind"),)


class FilingCommitment(Model):
    """A filing's credit commitment (信用承诺): which text, language, time and channel.

    Kind, version, locale and the sha256 of the exact text, as for unit commitments, plus
    the channel the applicant agreed through (miniapp or chat).
    """

    id = fields.IntField(primary_key=True)
    filing: fields.ForeignKeyRelation[Filing] = fields.ForeignKeyField(
        "borderpass.Filing", related_name="commitments"
    )
    signed_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="filing_commitments"
    )
    kind = fields.CharField(max_length=10)
    version = fields.CharField(max_length=10)
    locale = fields.CharField(max_length=8)
    text_sha256 = fields.CharField(max_length=64)
    channel = fields.CharField(max_length=10)
    signed_at = fields.DatetimeField()

    class Meta:
        table = "filing_commitments"
