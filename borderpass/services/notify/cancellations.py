"""Registration-cancellation reminders of exported vehicles (R-E7), for the reminder sweep.

A cleared vehicle's registration must be cancelled within 2 months of the clearance; while
one is overdue the enterprise gets no new licence. Every member of the enterprise hears of
it (they all may record the cancellation), each in their own language: one outbox row per
vehicle, stage and member, so a rerun or an overlapping sweep queues nothing twice.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from borderpass.models.export import Cancellation, EnterpriseMember
from borderpass.services.notify import kinds
from borderpass.services.notify.outbox import Intent

OVERDUE_STAGE = "overdue"  # the deadline itself: the lock notice (R-E7)
# What the sweep reads of each due vehicle (LicenceVehicle.values()).
VEHICLE_FIELDS = ("vin", "brand", "model", "licence_id", "licence__number",
                  "licence__enterprise_id", "licence__enterprise__name")


def key(vehicle_id: int, stage: str, user_id: int) -> str:
    """The dedupe key of one reminder: per vehicle, stage and member."""
    return f"export-vehicle:{vehicle_id}:cancel:{stage}:user:{user_id}"


def _payload(row: dict[str, Any], stage: str) -> dict[str, Any]:
    return {"vehicle_id": row["id"], "licence_id": row["licence_id"],
            "licence_number": row["licence__number"] or "",
            "enterprise_id": row["licence__enterprise_id"],
            "enterprise": row["licence__enterprise__name"], "vin": row["vin"],
            "brand": row["brand"], "model": row["model"],
            "cancel_due_at": row["cancel_due_at"].isoformat(), "stage": stage}


async def _members(enterprise_ids: set[int]) -> dict[int, list[dict[str, Any]]]:
    rows = await EnterpriseMember.filter(enterprise_id__in=list(enterprise_ids)) \
        .order_by("id").values("enterprise_id", "user_id", "user__locale")
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[row["enterprise_id"]].append(row)
    return found


async def intents(rows: list[dict[str, Any]], stage: str) -> list[Intent]:
    """The reminders of one page of due cleared vehicles; cancelled ones are left out (R-E7)."""
    if not rows:
        return []
    done = set(await Cancellation.filter(vehicle_id__in=[r["id"] for r in rows])
               .values_list("vehicle_id", flat=True))
    members = await _members({r["licence__enterprise_id"] for r in rows})
    kind = kinds.EXPORT_CANCEL_OVERDUE if stage == OVERDUE_STAGE else kinds.EXPORT_CANCEL_DUE
    return [Intent(key(row["id"], stage, m["user_id"]), m["user_id"], kind,
                   m["user__locale"] or "zh_CN", _payload(row, stage))
            for row in rows if row["id"] not in done
            for m in members.get(row["licence__enterprise_id"], [])]
