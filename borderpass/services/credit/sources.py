"""The events each change writes (R-P2.7), called in that change's transaction: the source
names and references here are the ones ``(source, ref)`` keeps unique."""

from __future__ import annotations

from datetime import datetime

from borderpass.models import BlacklistEntry, Filing
from borderpass.models.credit import CreditEvent
from borderpass.models.enums import FilingCategory, SubjectKind
from borderpass.models.units import DishonestyRecord, DishonestySubject
from borderpass.services.credit import rules
from borderpass.services.credit.events import record_event
from borderpass.services.ports import Deps

FALSE_DATA_CODES = frozenset({"mismatch"})  # 与证件上的信息不一致: the data was not true


def party_of(filing: Filing) -> tuple[str, str] | None:
    """A filing's owner as a party (kind, key), or None when it has no owner key yet."""
    if not filing.owner_key:
        return None
    person = filing.category is FilingCategory.PERSONAL
    return (SubjectKind.PERSON.value if person else SubjectKind.ORGANISATION.value,
            filing.owner_key)


async def overstay(entry: BlacklistEntry, filing: Filing, trip_id: int) -> None:
    """An owner blacklisted for overstaying (R-F9)."""
    if (party := party_of(filing)) is None:
        return
    await record_event(party_kind=party[0], party_key=party[1], kind=rules.OVERSTAY,
                       source="blacklist", ref=f"entry:{entry.id}", label=entry.subject_label,
                       detail={"filing_id": filing.id, "trip_id": trip_id,
                               "blacklist_id": entry.id})


async def overstay_lifted(entry: BlacklistEntry) -> None:
    """An overstay listing lifted (only entries whose listing made a credit event)."""
    if entry.reason != "overstay" or entry.subject_key.startswith("filing:"):
        return
    await record_event(party_kind=entry.subject_kind.value, party_key=entry.subject_key,
                       kind=rules.OVERSTAY_LIFTED, source="blacklist", ref=f"lift:{entry.id}",
                       lifts=f"entry:{entry.id}", label=entry.subject_label,
                       detail={"blacklist_id": entry.id})


async def dishonesty(record: DishonestyRecord) -> None:
    """A person removed for serious dishonesty (R-U6), in force until lifted or ``until``;
    a removal that extended a record writes a new event for the longer term."""
    if record.subject_kind is not DishonestySubject.PERSON:
        return  # a vehicle is not a party
    term = record.until.isoformat() if record.until else "open"
    await record_event(party_kind=SubjectKind.PERSON.value, party_key=record.subject_key,
                       kind=rules.DISHONESTY, source="dishonesty",
                       ref=f"record:{record.id}:{term}", until=record.until,
                       label=record.subject_label, detail={"dishonesty_id": record.id})


async def dishonesty_lifted(record: DishonestyRecord) -> None:
    """A dishonesty record lifted: ends every event of its terms."""
    if record.subject_kind is not DishonestySubject.PERSON:
        return
    refs = await CreditEvent.filter(source="dishonesty", kind=rules.DISHONESTY,
                                    ref__startswith=f"record:{record.id}:") \
        .values_list("ref", flat=True)
    for ref in map(str, refs):
        await record_event(party_kind=SubjectKind.PERSON.value, party_key=record.subject_key,
                           kind=rules.DISHONESTY_LIFTED, source="dishonesty",
                           ref=f"lift:{ref}", lifts=ref, detail={"dishonesty_id": record.id})


async def false_data_return(filing: Filing, reasons: list[dict[str, str]]) -> None:
    """A filing returned with a reason that says its data was not true (R-F6)."""
    fields = sorted({r["field"] for r in reasons if r.get("code") in FALSE_DATA_CODES})
    if not fields or (party := party_of(filing)) is None or filing.returned_at is None:
        return
    await record_event(party_kind=party[0], party_key=party[1], kind=rules.FALSE_DATA_RETURN,
                       source="review", ref=f"return:{filing.id}:{filing.returned_at.isoformat()}",
                       occurred_at=filing.returned_at,
                       detail={"filing_id": filing.id, "fields": fields})


def enterprise_key(deps: Deps, uscc: str) -> str:
    """An enterprise's party key: the blind index of its USCC, as filings keep it."""
    return deps.cipher.blind_index(uscc, "uscc")


async def export_locked(deps: Deps, vehicle_id: int, vin: str, uscc: str, name: str,
                        due: datetime) -> None:
    """An exported vehicle not cancelled by its deadline locks its enterprise (R-E7)."""
    await record_event(party_kind=SubjectKind.ORGANISATION.value,
                       party_key=enterprise_key(deps, uscc), kind=rules.EXPORT_LOCKED,
                       source="export", ref=f"lock:{vehicle_id}", occurred_at=due, label=name,
                       detail={"vehicle_id": vehicle_id, "vin": vin})


async def export_released(deps: Deps, vehicle_id: int, vin: str, uscc: str, name: str,
                          due: datetime, at: datetime) -> None:
    """A late cancellation releases the lock it caused (written first if the loop had not)."""
    await export_locked(deps, vehicle_id, vin, uscc, name, due)
    await record_event(party_kind=SubjectKind.ORGANISATION.value,
                       party_key=enterprise_key(deps, uscc), kind=rules.EXPORT_RELEASED,
                       source="export", ref=f"release:{vehicle_id}", lifts=f"lock:{vehicle_id}",
                       occurred_at=at, label=name, detail={"vehicle_id": vehicle_id, "vin": vin})
