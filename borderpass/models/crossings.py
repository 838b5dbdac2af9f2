"""Declarations (申报) of each crossing, and the trips they open and close."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from borderpass.models.enums import DeclarationStatus, Direction, TripStatus

if TYPE_CHECKING:
    from borderpass.models.filings import Filing, FilingDriver
    from borderpass.models.users import User


class Declaration(Model):
    """Declaration — 申报单: one exit or one entry by an approved filing (R-F7)."""

    id = fields.IntField(primary_key=True)
    filing: fields.ForeignKeyRelation[Filing] = fields.ForeignKeyField(
        "borderpass.Filing", related_name="declarations"
    )
    driver: fields.ForeignKeyRelation[FilingDriver] = fields.ForeignKeyField(
        "borderpass.FilingDriver", related_name="declarations"
    )
    declared_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="declarations"
    )
    direction = fields.CharEnumField(Direction, max_length=5)
    port = fields.CharField(max_length=40)
    planned_at = fields.DatetimeField()
    status = fields.CharEnumField(
        DeclarationStatus, max_length=10, default=DeclarationStatus.APPROVED
    )
    cancelled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "declarations"


class Trip(Model):
    """Trip — 出境行程: from a declared exit to the entry that closes it (R-F8)."""

    id = fields.IntField(primary_key=True)
    filing: fields.ForeignKeyRelation[Filing] = fields.ForeignKeyField(
        "borderpass.Filing", related_name="trips"
    )
    exit_declaration: fields.ForeignKeyRelation[Declaration] = fields.ForeignKeyField(
        "borderpass.Declaration", related_name="exit_trip"
    )
    entry_declaration: fields.ForeignKeyNullableRelation[Declaration] = fields.ForeignKeyField(
        "borderpass.Declaration", related_name="entry_trip", null=True
    )
    status = fields.CharEnumField(TripStatus, max_length=10, default=TripStatus.OPEN)
    exited_at = fields.DatetimeField()
    deadline = fields.DatetimeField(db_index=True)
    returned_at = fields.DatetimeField(null=True)
    overstayed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "trips"
        # Due trips for the sweeps; a filing's open trip for each declaration (R-F7).
        indexes = (("status", "deadline"), ("filing_id", "status"))
