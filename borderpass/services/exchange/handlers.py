"""What each type of inbound event does, by a registry: ``HANDLERS[type]`` checks the
event's data and applies it in the transaction that records the event (R-P1, R-P2).

- ``cn.gov.agency.inspection.result``: an inspection result, attached to our crossing or
  declaration, shown wherever that crossing is shown and shared with the other agencies
  entitled to ``inspections`` (inspect once, recognised by all: 监管互认).
- ``cn.gov.agency.blacklist.entry``: held for review (``reviews``): an agency alone never
  bars anyone from crossing; a customs officer or admin confirms or rejects it.
- ``cn.gov.agency.credit.event``: a violation an agency recorded against a person or an
  enterprise, or its lift, entered into our credit record with the agency as source
  (``credit_feed``); the party's class is derived again in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from borderpass.core import ids
from borderpass.core.crypto import FieldCipher
from borderpass.core.errors import FieldError
from borderpass.models import Agency, Declaration, Filing, InboundEvent
from borderpass.models.gate import Crossing
from borderpass.services.exchange import credit_feed, kinds, log

Handler = Callable[[Agency, InboundEvent, FieldCipher], Awaitable[None]]
RESULTS = ("cleared", "inspected", "held", "refused")
REASON = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def _note(data: dict[str, Any]) -> str:
    note = data.get("note", "")
    if not isinstance(note, str):
        raise FieldError("type_string", "data.note")
    if len(note) > 500:
        raise FieldError("length", "data.note", max=500)
    return note.strip()


async def inspection(agency: Agency, row: InboundEvent, cipher: FieldCipher) -> None:
    """Attach an inspection result to a crossing and/or declaration; share it."""
    data = row.data
    unknown = set(data) - {"crossing_id", "declaration_id", "result", "note"}
    if unknown:
        raise FieldError("unknown_field", f"data.{sorted(unknown)[0]}")
    if data.get("result") not in RESULTS:
        raise FieldError("choice", "data.result", choices=", ".join(RESULTS))
    _note(data)
    if data.get("crossing_id") is None and data.get("declaration_id") is None:
        raise FieldError("required", "data.crossing_id")
    if data.get("crossing_id") is not None:
        crossing = await Crossing.get_or_none(
            id=ids.body_id(data["crossing_id"], "data.crossing_id", "crossing_not_found"))
        if crossing is None:
            raise FieldError("crossing_not_found", "data.crossing_id")
        row.crossing_id, row.filing_id = crossing.id, crossing.filing_id
        row.declaration_id = crossing.declaration_id
    if data.get("declaration_id") is not None:
        declared = await Declaration.get_or_none(id=ids.body_id(
            data["declaration_id"], "data.declaration_id", "declaration_not_found"))
        if declared is None or (row.declaration_id not in (None, declared.id)):
            raise FieldError("declaration_not_found", "data.declaration_id")
        row.declaration_id = declared.id
        row.filing_id = declared.filing_id  # type: ignore[attr-defined]
    row.status = "recorded"
    subject = f"crossing/{row.crossing_id}" if row.crossing_id \
        else f"declaration/{row.declaration_id}"
    await log.append(kinds.INSPECTION_RECORDED, subject, {
        "agency": agency.code, "agency_kind": agency.kind, "event_id": row.event_id,
        "result": data["result"], "crossing_id": row.crossing_id,
        "declaration_id": row.declaration_id, "filing_id": row.filing_id})


async def blacklist_entry(agency: Agency, row: InboundEvent, cipher: FieldCipher) -> None:
    """Hold an agency's blacklist entry for review: it bars no one until confirmed."""
    data = row.data
    unknown = set(data) - {"filing_id", "reason", "note"}
    if unknown:
        raise FieldError("unknown_field", f"data.{sorted(unknown)[0]}")
    filing_id = ids.body_id(data.get("filing_id"), "data.filing_id", "filing_not_found")
    if not await Filing.exists(id=filing_id):
        raise FieldError("filing_not_found", "data.filing_id")
    reason = data.get("reason")
    if not isinstance(reason, str) or not REASON.match(reason):
        raise FieldError("reason_code", "data.reason")
    _note(data)
    row.filing_id, row.status = filing_id, "pending_review"  # R-P6: bars no one yet


HANDLERS: dict[str, Handler] = {
    kinds.IN_INSPECTION: inspection,
    kinds.IN_BLACKLIST: blacklist_entry,
    kinds.IN_CREDIT: credit_feed.credit_event,
}
