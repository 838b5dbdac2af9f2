"""Submission checks of a filing: every problem found at once (R-F6 一次性告知)."""

from __future__ import annotations

from datetime import date, datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from borderpass.core.errors import FieldError
from borderpass.models import Filing, FilingDriver
from borderpass.models.enums import FilingCategory, FilingStatus, LetterStatus
from borderpass.services import clock
from borderpass.services.filings import letter_scope
from borderpass.services.filings.requirements import (
    DRIVER_FIELDS,
    MAX_PERSONAL_DRIVERS,
    PER_DRIVER_DOCUMENTS,
    base_documents,
    category_fields,
    driver_slot,
)

MIN_OWNERSHIP_MONTHS = 6  # R-F5
REPAYMENT_MONTHS = 6  # R-F4


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), clamped to the month's last day."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _field_problems(filing: Filing) -> list[FieldError]:
    problems = []
    for spec in category_fields(filing.category):
        section, _, name = spec.name.rpartition(".")
        present = (
            filing.official_letter_id is not None  # type: ignore[attr-defined]
            if spec.name == "official_letter_id"
            else spec.name in filing.sealed or name in filing.data.get(section, {})
        )
        if spec.required and not present:
            problems.append(FieldError("required", spec.name))
    return problems


def _vehicle_problems(filing: Filing, today: date) -> list[FieldError]:
    vehicle = filing.data.get("vehicle", {})
    problems = []
    if filing.category is FilingCategory.OFFICIAL and vehicle.get("licence_kind") == "electronic":
        problems.append(FieldError("licence_paper_only", "vehicle.licence_kind"))  # R-F2
    if vehicle.get("mortgaged"):  # R-F4
        start = vehicle.get("repayment_from")
        if not start:
            problems.append(FieldError("required", "vehicle.repayment_from"))
        elif date.fromisoformat(start) > add_months(today, -REPAYMENT_MONTHS):
            problems.append(FieldError("repayment_too_short", "vehicle.repayment_from",
                                       months=REPAYMENT_MONTHS))
    if transferred := vehicle.get("transferred_on"):  # R-F5
        allowed = add_months(date.fromisoformat(transferred), MIN_OWNERSHIP_MONTHS)
        if allowed > today:
            problems.append(FieldError("transfer_too_recent", "vehicle.transferred_on",
                                       from_date=allowed.isoformat()))
    return problems


def _driver_problems(filing: Filing, drivers: list[FilingDriver], owner_id: str | None,
                     driver_ids: list[str | None]) -> list[FieldError]:
    if not drivers:
        return [FieldError("drivers_required", "drivers")]
    problems = []
    for i, driver in enumerate(drivers):
        for spec in DRIVER_FIELDS:
            present = (spec.name in driver.sealed or spec.name == "is_owner"
                       or bool(getattr(driver, spec.name, None)))
            if spec.required and not present:
                problems.append(FieldError("required", f"drivers[{i}].{spec.name}"))
    owners = [i for i, d in enumerate(drivers) if d.is_owner]
    if len(owners) > 1:
        problems.append(FieldError("one_owner_only", f"drivers[{owners[1]}].is_owner"))
    if filing.category is FilingCategory.PERSONAL:  # R-U5
        if len(drivers) > MAX_PERSONAL_DRIVERS:
            problems.append(FieldError("personal_max_drivers", "drivers",
                                       max=MAX_PERSONAL_DRIVERS))
        elif not owners:  # R-U5: one of the drivers is the owner, however many there are
            problems.append(FieldError("personal_owner_driver", "drivers"))
        for i in owners:
            if owner_id and driver_ids[i] and driver_ids[i] != owner_id:
                problems.append(FieldError("owner_id_mismatch", f"drivers[{i}].id_number"))
    return problems


def _document_problems(filing: Filing, drivers: list[FilingDriver],
                       slots: set[str]) -> list[FieldError]:
    needed = list(base_documents(filing.category))
    for i in range(len(drivers)):
        needed += [driver_slot(kind, i) for kind in PER_DRIVER_DOCUMENTS]
    if filing.category is FilingCategory.PERSONAL:  # R-F2
        if not filing.data.get("owner", {}).get("is_applicant", False):
            needed.append("power_of_attorney")
        others_drive = any(not d.is_owner for d in drivers)
        if others_drive and not ({"relationship_proof", "power_of_attorney"} & slots):
            needed.append("relationship_proof")
    if filing.data.get("vehicle", {}).get("mortgaged"):
        needed.append("repayment_proof")  # R-F4
    return [FieldError("document_required", f"documents.{slot}")
            for slot in dict.fromkeys(needed) if slot not in slots]


async def _letter_problems(filing: Filing, drivers: list[FilingDriver]) -> list[FieldError]:
    if filing.category is not FilingCategory.OFFICIAL or filing.official_letter_id is None:  # type: ignore[attr-defined]
        return []
    await filing.fetch_related("official_letter")
    letter = filing.official_letter
    if letter is None or letter.status is not LetterStatus.APPROVED:
        return [FieldError("letter_not_approved", "official_letter_id")]  # R-F2
    return letter_scope.problems(letter, filing, drivers)  # R-F2: only what it names


def _others(filing: Filing, now: datetime) -> QuerySet[Filing]:
    """Live filings other than this one and the one it renews or corrects (R-F3, R-D6: the
    one overlap): submitted, or approved and unexpired."""
    query = Filing.filter(Q(status=FilingStatus.SUBMITTED)
                          | Q(status=FilingStatus.APPROVED, expires_at__gt=now))
    before = filing.renews_id or filing.corrects_id  # type: ignore[attr-defined]
    return query.exclude(id__in=[filing.id] if before is None else [filing.id, before])


async def _duplicate_problems(filing: Filing, now: datetime) -> list[FieldError]:
    problems = []
    if filing.plate_number and await _others(filing, now).filter(
            plate_number=filing.plate_number).exists():
        problems.append(FieldError("plate_already_filed", "vehicle.plate_number"))
    if filing.vin and await _others(filing, now).filter(vin=filing.vin).exists():
        problems.append(FieldError("vin_already_filed", "vehicle.vin"))  # one live per VIN
    return problems


async def submission_problems(filing: Filing, drivers: list[FilingDriver], slots: set[str],
                              today: date, owner_id: str | None,
                              driver_ids: list[str | None]) -> list[FieldError]:
    """All reasons the filing cannot be submitted yet, in form order."""
    return (
        _field_problems(filing)
        + _vehicle_problems(filing, today)
        + _driver_problems(filing, drivers, owner_id, driver_ids)
        + _document_problems(filing, drivers, slots)
        + await _letter_problems(filing, drivers)
        + await _duplicate_problems(filing, clock.now())
    )
