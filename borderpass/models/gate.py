"""Models of the gate context: signing keys, passes, lanes, the ledger, manual lifts, faults."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from borderpass.models.crossings import Declaration
    from borderpass.models.users import User


class LaneType(StrEnum):
    """R-G1: each lane type has its own release rules and controlling authority."""

    BONDED_GOODS = "bonded_goods"
    ECOMMERCE_9610 = "ecommerce_9610"
    NON_BONDED_GOODS = "non_bonded_goods"
    ADMINISTRATIVE = "administrative"
    PEOPLE = "people"
    SECOND_LINE = "second_line"  # 二线: credit pass list vehicles, no declaration (R-G8)


class LiftStatus(StrEnum):
    """A manual lift (R-G4): requested, then approved or refused by customs, then executed."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    EXECUTED = "executed"


class SigningKey(Model):
    """An Ed25519 pass-signing key, its private half sealed with the data key."""

    kid = fields.CharField(max_length=8, primary_key=True)
    public_key = fields.CharField(max_length=64)
    private_sealed = fields.TextField()
    active = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "gate_signing_keys"


class Pass(Model):
    """Pass — 通行码: the signed QR credential of one approved declaration (R-F7)."""

    id = fields.IntField(primary_key=True)
    declaration: fields.OneToOneRelation[Declaration] = fields.OneToOneField(
        "borderpass.Declaration", related_name="gate_pass"
    )
    kid = fields.CharField(max_length=8)
    credential = fields.CharField(max_length=400)
    secret_sealed = fields.TextField()
    valid_from = fields.DatetimeField()
    valid_until = fields.DatetimeField()
    secret_delivered_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=40, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gate_passes"


class Lane(Model):
    """Lane — 通道: one barrier with its controller, type (R-G1), direction and credential."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)
    port = fields.CharField(max_length=40)
    lane_type = fields.CharEnumField(LaneType, max_length=20)
    direction = fields.CharField(max_length=5)
    accepts: fields.Field[list[str]] = fields.JSONField(default=list)
    languages: fields.Field[list[str]] = fields.JSONField(default=list)
    credential_hash = fields.CharField(max_length=64)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gate_lanes"


class LedgerEntry(Model):
    """LedgerEntry — 值班台账: every scan, decision, command, ack, lift, fault, handover (R-G6)."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    lane_code = fields.CharField(max_length=40, default="", db_index=True)
    kind = fields.CharField(max_length=20)
    event_id = fields.CharField(max_length=64, default="")
    declaration_id = fields.IntField(null=True)
    plate = fields.CharField(max_length=16, default="")
    outcome = fields.CharField(max_length=20, default="")
    reason = fields.CharField(max_length=40, default="")
    actor = fields.CharField(max_length=64, default="")
    flagged = fields.BooleanField(default=False)
    detail: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)

    class Meta:
        table = "gate_ledger"
        indexes = (("lane_code", "at"),)


class ManualLift(Model):
    """A manual lift (人工抬杆) request, opened only after customs approval (R-G4)."""

    id = fields.IntField(primary_key=True)
    lane: fields.ForeignKeyRelation[Lane] = fields.ForeignKeyField(
        "gate.Lane", related_name="manual_lifts"
    )
    status = fields.CharEnumField(LiftStatus, max_length=10, default=LiftStatus.REQUESTED)
    event_id = fields.CharField(max_length=64, default="")
    requested_by = fields.CharField(max_length=64)
    reason = fields.CharField(max_length=500)
    plate = fields.CharField(max_length=16, default="")
    approver: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="approved_lifts", null=True
    )
    decision_note = fields.CharField(max_length=500, default="")
    requested_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    executed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "gate_manual_lifts"


class FaultTicket(Model):
    """A fault report (故障登记): lane, time, cause found and fix (R-G7)."""

    id = fields.IntField(primary_key=True)
    lane: fields.ForeignKeyRelation[Lane] = fields.ForeignKeyField(
        "gate.Lane", related_name="faults"
    )
    event_id = fields.CharField(max_length=64, default="")
    reported_at = fields.DatetimeField()
    symptom = fields.CharField(max_length=500)
    cause = fields.CharField(max_length=500, default="")
    fix = fields.CharField(max_length=500, default="")
    resolved_at = fields.DatetimeField(null=True)
    resolved_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "borderpass.User", related_name="resolved_faults", null=True
    )

    class Meta:
        table = "gate_faults"


class Crossing(Model):
    """Crossing — 通行记录: a lane (or customs, by hand) let one vehicle through (R-G2, R-F8).

    The record a pole opens on: a pass's one use is the unique ``(declaration_id,
    direction)`` (index ``gate_crossings_one_use``), inserted with ON CONFLICT DO NOTHING in
    the same commit as its ledger entries, so the first valid scan wins on any lane in any
    process and losing Redis cannot allow a second release. Manual lifts and emergency
    releases that name a plate are crossings too (no declaration). The ledger entry of the
    crossing is the one with the same ``lane_code`` and ``event_id``.
    """

    id = fields.BigIntField(primary_key=True)
    declaration_id = fields.IntField(null=True)
    direction = fields.CharField(max_length=5)
    kind = fields.CharField(max_length=12)  # pass | manual_lift | emergency | offline
    lane_code = fields.CharField(max_length=40)
    port = fields.CharField(max_length=40)
    plate = fields.CharField(max_length=16, default="")
    filing_id = fields.IntField(null=True)
    event_id = fields.CharField(max_length=80)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "gate_crossings"


class LaneEvent(Model):
    """One lane event, claimed once by ``(lane_code, event_id)`` with the answer it got, so a
    retry (or a twin sent at once) is answered the same (DESIGN: nothing doubled)."""

    id = fields.BigIntField(primary_key=True)
    lane_code = fields.CharField(max_length=40)
    event_id = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=20)
    at = fields.DatetimeField()
    answer = fields.TextField(default="")

    class Meta:
        table = "gate_lane_events"


class LaneCommand(Model):
    """The lane's outbox: a command (open / deny / hold) kept until the lane acks it, so a
    lane that reconnects gets every unacknowledged command (R-G4, R-G5)."""

    id = fields.BigIntField(primary_key=True)
    lane_code = fields.CharField(max_length=40)
    command_id = fields.CharField(max_length=80)
    frame = fields.TextField()
    at = fields.DatetimeField()
    acked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "gate_commands"
