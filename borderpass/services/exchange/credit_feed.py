"""Inbound credit events from an agency (R-P2, R-P6, R-P7): a violation the agency recorded
against a person or an enterprise, or its lift, entered into our credit record with the
agency as source. Agencies name the party by identity number or USCC; we keep only the
blind index, as filings do: the number is dropped from the stored event.

A violation restricts the party (no exit declarations), which can bar a crossing: like an
agency's blacklist entry it waits for a customs officer's confirmation (``reviews``). A
lift only ends the agency's own violation (same source and reference), so it applies at
once; a lift of a violation still waiting withdraws it from the review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from borderpass.adapters import rows
from borderpass.core.crypto import FieldCipher
from borderpass.core.errors import FieldError
from borderpass.models import Agency, InboundEvent
from borderpass.models.enums import SubjectKind
from borderpass.services import audit, clock, validators
from borderpass.services.credit import record_event, rules
from borderpass.services.exchange import kinds

AGENCY_KINDS = (rules.VIOLATION, rules.VIOLATION_LIFTED)  # an agency adds nothing else
FIELDS = {"party_kind", "id_number", "uscc", "kind", "lifts", "occurred_at", "until",
          "label"}
# One statement, the same text on both back ends (``{}``: rows' parameter marks): the
# conditional update and the id the audit entry names (docs/architecture.md, "One write").
_WITHDRAW = (f'UPDATE "{InboundEvent._meta.db_table}" SET status = {{}}, reviewed_at = {{}} '
             "WHERE agency_id = {} AND type = {} AND event_id = {} AND status = {} "
             "RETURNING id")


def _time(data: dict[str, Any], name: str) -> datetime | None:
    value = data.get(name)
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise FieldError("datetime_tz", f"data.{name}")
    return when


def _party(data: dict[str, Any], cipher: FieldCipher) -> tuple[str, str]:
    kind = data.get("party_kind")
    if kind == SubjectKind.PERSON.value:
        number = data.get("id_number")
        if not isinstance(number, str):
            raise FieldError("required", "data.id_number")
        info = validators.check_id_number(number, "data.id_number")
        return kind, cipher.blind_index(info.number, "id_number")
    if kind == SubjectKind.ORGANISATION.value:
        uscc = data.get("uscc")
        if not isinstance(uscc, str):
            raise FieldError("required", "data.uscc")
        return kind, cipher.blind_index(validators.check_uscc(uscc, "data.uscc"), "uscc")
    raise FieldError("choice", "data.party_kind",
                     choices=", ".join(k.value for k in SubjectKind))


async def credit_event(agency: Agency, row: InboundEvent, cipher: FieldCipher) -> None:
    """Record an agency's violation or its lift in the party's credit (class derived)."""
    data = row.data
    unknown = set(data) - FIELDS
    if unknown:
        raise FieldError("unknown_field", f"data.{sorted(unknown)[0]}")
    party_kind, party_key = _party(data, cipher)
    kind = data.get("kind")
    if kind not in AGENCY_KINDS:
        raise FieldError("choice", "data.kind", choices=", ".join(AGENCY_KINDS))
    lifts = data.get("lifts")
    if kind == rules.VIOLATION_LIFTED and (not isinstance(lifts, str) or not lifts):
        raise FieldError("required", "data.lifts")
    label = data.get("label", "")
    if not isinstance(label, str) or len(label) > 100:
        raise FieldError("length", "data.label", max=100)
    for name in ("occurred_at", "until"):  # checked now, read again when applied
        _time(data, name)
    row.data = {k: v for k, v in data.items() if k not in ("id_number", "uscc")} | {
        "party_key": party_key,
        "label": label if party_kind == SubjectKind.ORGANISATION.value else ""}
    if kind == rules.VIOLATION:
        row.status = "pending_review"  # R-P6: restricts no one until confirmed
        return
    if await _withdraw_pending(agency, str(lifts)):
        row.status = "withdrawal"  # nothing entered the record, nothing to lift in it
        return
    await apply(agency, row)


def _when(moment: datetime) -> Any:
    """``moment`` as the ``reviewed_at`` column stores it (Tortoise's own conversion)."""
    return InboundEvent._meta.fields_map["reviewed_at"].to_db_value(moment, InboundEvent)


async def _withdraw_pending(agency: Agency, violation_id: str) -> bool:
    """A lift of the agency's own violation still waiting for review takes it off the
    queue (status ``withdrawn``): no officer confirms what its source has withdrawn. A
    conditional update, so a confirmation at the same moment wins or loses whole — if it
    won, the lift ends the recorded violation instead. One statement (``UPDATE …
    RETURNING``) changes the row and names it for the audit entry."""
    withdrawn = await rows.values(
        InboundEvent, _WITHDRAW, "withdrawn", _when(clock.now()), agency.id,
        kinds.IN_CREDIT, violation_id, "pending_review")
    for found in withdrawn:  # one at most: (agency, event id) is unique
        await audit.record(None, "update", "agency_event", found["id"], ["status"],
                           status="withdrawn", agency=agency.code)
    return bool(withdrawn)


async def apply(agency: Agency, row: InboundEvent) -> None:
    """Enter a checked event (its data as stored by :func:`credit_event`) into the record."""
    data = row.data
    await record_event(
        party_kind=data["party_kind"], party_key=data["party_key"], kind=data["kind"],
        source=f"agency:{agency.code}"[:40], ref=row.event_id,
        occurred_at=_time(data, "occurred_at"), until=_time(data, "until"),
        lifts=data.get("lifts") if data["kind"] == rules.VIOLATION_LIFTED else None,
        label=data.get("label", ""), detail={"agency": agency.code, "event_id": row.event_id})
    row.status = "recorded"
