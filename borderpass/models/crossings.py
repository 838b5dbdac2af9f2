"""Declarations (申报): the driver's intent to cross; trips: what the gate recorded."""

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
    """Trip — 出境行程: from the vehicle's exit crossing to the entry crossing that closes it
    (R-F7, R-F8). Keyed by the vehicle (``vin``): one open trip per vehicle (partial unique
    index ``trips_one_open_vin``), whichever filing it crosses under. Opened and closed only
    by the gate's record (services/crossings/trip_record.py), in the scan's own transaction; the
    declaration links are kept for history and are null for manual crossings."""

    id = fields.IntField(primary_key=True)
    filing: fields.ForeignKeyRelation[Filing] = fields.ForeignKeyField(
        "borderpass.Filing", related_name="trips"
    )
    vin = fields.CharField(max_length=40, default="")  # the vehicle: its VIN, else "filing:<id>"
    exit_declaration: fields.ForeignKeyNullableRelation[Declaration] = fields.ForeignKeyField(
        "borderpass.Declaration", related_name="exit_trip", null=True
    )
    entry_declaration: fields.ForeignKeyNullableRelation[Declaration] = fields.ForeignKeyField(
        "borderpass.Declaration", related_name="entry_trip", null=True
    )
    exit_crossing_id = fields.BigIntField(null=True)  # null: a trip migrated from a declaration
    entry_crossing_id = fields.BigIntField(null=True)
    status = fields.CharEnumField(TripStatus, max_length=10, default=TripStatus.OPEN)
    exited_at = fields.DatetimeField()
    deadline = fields.DatetimeField(db_index=True)
    returned_at = fields.DatetimeField(null=True)
    overstayed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "trips"
        # Due trips for the sweeps; a vehicle's open trip for each declaration (R-F7).
        indexes = (("status", "deadline"), ("filing_id", "status"))
