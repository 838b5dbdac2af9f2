"""Organisation profiles (R-P1: declared once): one record per USCC that unit registration,
business filings and export filings are prefilled from, with its change history."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from borderpass.models.documents import Document
    from borderpass.models.users import User


class ProfileStatus(StrEnum):
    """claimed → verified | superseded (R-P1b): at most one verified profile per USCC."""

    CLAIMED = "claimed"  # entered by its claimant, nobody has vouched for it yet
    VERIFIED = "verified"  # by staff, an approval of a filing/registration, or membership
    SUPERSEDED = "superseded"  # another claim of the same USCC was verified


class OrganisationProfile(Model):
    """An enterprise's or unit's own particulars, entered once and reused (R-P1)."""

    id = fields.IntField(primary_key=True)
    uscc = fields.CharField(max_length=18, db_index=True)
    name = fields.CharField(max_length=100)
    legal_representative = fields.CharField(max_length=50)
    address = fields.CharField(max_length=200)
    contact_name = fields.CharField(max_length=50)
    sealed: fields.Field[dict[str, str]] = fields.JSONField(default=dict)  # contact_phone
    contact_phone_key = fields.CharField(max_length=64, null=True)
    licence_document: fields.ForeignKeyNullableRelation[Document] = fields.ForeignKeyField(
        "borderpass.Document", related_name="organisation_profiles", null=True,
        on_delete=fields.SET_NULL,
    )
    status = fields.CharEnumField(ProfileStatus, max_length=10, default=ProfileStatus.CLAIMED)
    claimant: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="claimed_profiles"
    )
    verified_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="verified_profiles", null=True
    )
    verified_at = fields.DatetimeField(null=True)
    verified_how = fields.CharField(max_length=30, default="")
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "organisation_profiles"
        unique_together = (("uscc", "claimant"),)  # twins of one claimant make one profile


class ProfileChange(Model):
    """One line of a profile's history: who changed which field when, old and new (masked
    where the value is personal, R-U7)."""

    id = fields.IntField(primary_key=True)
    profile: fields.ForeignKeyRelation[OrganisationProfile] = fields.ForeignKeyField(
        "borderpass.OrganisationProfile", related_name="changes"
    )
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="profile_changes", null=True
    )
    field = fields.CharField(max_length=30)
    old = fields.CharField(max_length=200, default="")
    new = fields.CharField(max_length=200, default="")
    version = fields.IntField()
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organisation_profile_changes"
        indexes = (("profile_id", "id"),)


__all__ = ["OrganisationProfile", "ProfileChange", "ProfileStatus"]
