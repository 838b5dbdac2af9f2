"""Filings (备案): drafts, edits, submission, and what each viewer may see of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError, FieldErrors, Forbidden, NotFound
from borderpass.core.masking import mask_number, mask_phone
from borderpass.models import Filing, FilingDocument, FilingDriver, User
from borderpass.models.credit import FastLaneDecision
from borderpass.models.enums import FilingCategory, FilingStatus, Role
from borderpass.services import clock
from borderpass.services.credit import fast_lane
from borderpass.services.filings import (
    commitments,
    corrections,
    filing_rows,
    prefill,
    profile_prefill,
    renewals,
    subjects,
)
from borderpass.services.filings.filing_checks import submission_problems
from borderpass.services.filings.filing_forms import (
    EDITABLE,
    SEALED_DRIVER_FIELDS,
    apply_letter,
    apply_sections,
    check_documents,
    check_drivers,
)
from borderpass.services.identity import phones
from borderpass.services.ports import Deps
from borderpass.services.validators import choice, found

STAFF_VIEW_ROLES = (Role.REVIEWER, Role.CUSTOMS, Role.ADMIN, Role.GATE_SUPERVISOR)


def parse_category(value: object) -> FilingCategory:
    """The category named in a request (R-F1)."""
    return choice(FilingCategory, value, "category")


async def create(deps: Deps, user: User, body: dict[str, Any]) -> Filing:
    """Start a draft filing of a category, optionally with its first values."""
    from borderpass.services.privacy import privacy

    privacy.require_not_erasing(user)  # R-D7
    category = parse_category(body.get("category"))
    async with in_transaction():
        filing = Filing(applicant=user, category=category)
        await _apply(deps, user, filing, body)
    return filing


async def update(deps: Deps, user: User, filing_id: int, body: dict[str, Any]) -> Filing:
    """Edit a draft or returned filing of the user's own; all-or-nothing."""
    filing = await _own(user, filing_id)
    if filing.status not in EDITABLE:
        raise Conflict("filing_not_editable", "status", status=filing.status.value)
    if "category" in body and body["category"] != filing.category.value:
        raise FieldError("category_fixed", "category")
    async with in_transaction():
        await _apply(deps, user, filing, body)
    return filing


def _touched(body: dict[str, Any]) -> set[str]:
    """The form paths a request body sets, for settling OCR marks."""
    paths = {f"{section}.{name}" for section, values in body.items()
             if isinstance(values, dict) and section != "documents" for name in values}
    for i, entry in enumerate(body.get("drivers") or []):
        if isinstance(entry, dict):
            paths |= {f"drivers[{i}].{name}" for name in entry}
    return paths


async def _apply(deps: Deps, user: User, filing: Filing, body: dict[str, Any]) -> None:
    confirm = body.get("confirm_prefill", False)
    if not isinstance(confirm, bool):
        raise FieldError("type_bool", "confirm_prefill")
    body, trusted = await _from_profile(deps, user, filing, body)
    apply_sections(deps, filing, body)
    prefill.settle(filing, _touched(body), confirm)
    await apply_letter(user, filing, body)
    existing = {d.id: d for d in await filing.drivers.all()} if filing.id else {}
    drivers = check_drivers(deps, body["drivers"], existing) if "drivers" in body else None
    documents = await check_documents(user, filing, body["documents"], trusted) \
        if "documents" in body else None
    await filing.save()
    if drivers is not None:
        keep = {row["id"] for row in drivers if row["id"]}
        await FilingDriver.filter(filing=filing).exclude(id__in=keep).delete()
        for position, row in enumerate(drivers):
            values = row["values"] | {"position": position, "sealed": row["sealed"],
                                      "id_key": _id_key(deps, row["sealed"]),
                                      "phone_key": _phone_key(deps, row)}
            if row["id"]:
                await FilingDriver.filter(id=row["id"]).update(**values)
            else:
                await FilingDriver.create(filing=filing, **values)
    for slot, doc_id in (documents or {}).items():
        await FilingDocument.filter(filing=filing, kind=slot).delete()
        if doc_id is not None:
            await FilingDocument.create(filing=filing, kind=slot, document_id=doc_id)
    await prefill.mark_owner_drivers(filing)  # R-F2: the owner-driver, from either door


async def _from_profile(deps: Deps, user: User, filing: Filing, body: dict[str, Any]
                        ) -> tuple[dict[str, Any], frozenset[int]]:
    """R-P1a: the organisation section from the profile the request names, or the one the
    filing was made from when the request changes the organisation (it must agree with
    it); ``"profile_id": null`` detaches the filing from its profile."""
    linked = (filing.data.get("profile") or {}).get("id")
    if "profile_id" in body and body["profile_id"] is None:
        filing.data = {k: v for k, v in filing.data.items() if k != "profile"}
        return body, frozenset()
    wanted = body.get("profile_id") or (linked if "organisation" in body else None)
    if wanted is None:
        return body, frozenset()
    if filing.category is FilingCategory.PERSONAL:
        raise FieldError("unknown_field", "profile_id")
    body, profile, trusted = await profile_prefill.fill(
        deps, user, {**body, "profile_id": wanted}, "business_filing")
    if profile is not None:
        filing.data = {**filing.data,
                       "profile": {"id": profile.id, "version": profile.version}}
    return body, trusted


def _id_key(deps: Deps, sealed: dict[str, str]) -> str | None:
    if "id_number" not in sealed:
        return None
    return deps.cipher.blind_index(deps.cipher.decrypt(sealed["id_number"], "driver.id_number"),
                                   "id_number")


def _phone_key(deps: Deps, row: dict[str, Any]) -> str | None:
    phone = phones.read(deps, row["sealed"], "phone", "driver.phone", row["values"].get("phone"))
    return phones.index(deps, phone) if phone else None


async def problems(deps: Deps, user: User, filing_id: int) -> list[FieldError]:
    """What still stands between an editable filing and submission, in form order (R-F6);
    the chat bot asks for the first of them."""
    filing = await _own(user, filing_id)
    if filing.status not in EDITABLE:
        raise Conflict("filing_not_editable", "status", status=filing.status.value)
    return await _problems(deps, filing)


async def submission_problems_of(deps: Deps, filing: Filing) -> list[FieldError]:
    """What stands between this filing and submission, read only (for a caller that checks
    everything before writing anything, e.g. a unit join)."""
    return await _problems(deps, filing)


async def _problems(deps: Deps, filing: Filing) -> list[FieldError]:
    drivers = await filing.drivers.all().order_by("position")
    slots = {str(k) for k in
             await FilingDocument.filter(filing=filing).values_list("kind", flat=True)}
    owner_id = _open(deps, filing.sealed, "owner.id_number", "owner.id_number")
    driver_ids = [_open(deps, d.sealed, "id_number", "driver.id_number") for d in drivers]
    today = clock.now().astimezone(deps.tz).date()
    found = await submission_problems(filing, drivers, slots, today, owner_id, driver_ids)
    return found + prefill.unsettled(filing)  # R-P1: the user confirms what OCR filled


async def submit(deps: Deps, user: User, filing_id: int, *, commitment: object = None,
                 channel: str = commitments.MINIAPP) -> Filing:
    """Send a complete filing to review; every missing or wrong item is reported at once.

    ``commitment`` (``{version, locale, text_sha256, accepted}`` of the filing commitment)
    is stored with the submission and its channel, in one transaction with it.
    """
    filing = await _own(user, filing_id)
    if filing.status not in EDITABLE:
        raise Conflict("filing_not_editable", "status", status=filing.status.value)
    text = None if commitment is None else \
        commitments.check_consent(commitments.FILING, commitment)
    problems = await _problems(deps, filing)
    if problems:
        raise FieldErrors(problems)
    await _not_listed(filing)
    renewal = await renewals.on_submit(deps, filing)  # R-F3: the fields a renewal changed
    if filing.corrects_id is not None:  # type: ignore[attr-defined]
        renewal = await corrections.on_submit(deps, filing)  # R-D6: and a correction
    try:
        async with in_transaction():
            changed = await Filing.filter(id=filing.id, status__in=EDITABLE).update(
                status=FilingStatus.SUBMITTED, submitted_at=clock.now(), **renewal)
            if not changed:
                raise Conflict("filing_not_editable", "status")
            if text is not None:
                await commitments.record_for_filing(user, filing, text, channel)
    except IntegrityError as exc:  # a concurrent twin of the same VIN was submitted first
        if (clash := await renewals.vin_clash(exc)) is None:
            raise
        raise FieldErrors([clash]) from exc
    await filing.refresh_from_db()
    if await fast_lane.consider(deps, filing) is not None:  # R-P2.6: by rule, or sampled
        await filing.refresh_from_db()
    return filing


async def _not_listed(filing: Filing) -> None:
    """R-F9: a blacklisted owner or driver cannot submit a filing."""
    keys = await FilingDriver.filter(filing_id=filing.id).values_list("id_key", flat=True)
    if await subjects.active_entry([filing.owner_key, *[str(k) for k in keys if k]]):
        raise Forbidden("blacklisted", "filing_id")


def _open(deps: Deps, sealed: dict[str, str], key: str, context: str) -> str | None:
    return deps.cipher.decrypt(sealed[key], context) if key in sealed else None


async def editable(user: User, filing_id: int) -> Filing:
    """The user's own filing, refused unless it can still be edited."""
    filing = await _own(user, filing_id)
    if filing.status not in EDITABLE:
        raise Conflict("filing_not_editable", "filing_id", status=filing.status.value)
    return filing


async def _own(user: User, filing_id: int) -> Filing:
    filing = found(await Filing.get_or_none(id=filing_id, applicant_id=user.id),
                   "filing_not_found")
    return filing


async def visible(user: User, filing_id: int) -> Filing:
    """A filing the user may see: their own, one they drive, or any for staff."""
    return (await visible_with_parts(user, filing_id))[0]


async def visible_with_parts(user: User, filing_id: int) -> tuple[Filing, filing_rows.Parts]:
    """:func:`visible`, with the drivers and document slots read in the same round trip."""
    filing, parts = found(await filing_rows.load(filing_id), "filing_not_found")
    own = filing.applicant_id == user.id  # type: ignore[attr-defined]
    if own or user.has_role(*STAFF_VIEW_ROLES) or parts.has_driver(user.id):
        return filing, parts
    raise NotFound("filing_not_found", "id")


async def list_own(user: User, status: str | None = None) -> list[Filing]:
    """The user's filings (as applicant or driver), newest first."""
    query = Filing.filter(applicant_id=user.id)
    if status:
        try:
            query = query.filter(status=FilingStatus(status))
        except ValueError as exc:
            raise FieldError("choice", "status") from exc
    return await query.order_by("-id").limit(200)


@dataclass(frozen=True)
class DriverView:
    """A driver on a filing as shown: name in clear, phone and numbers masked (R-U7)."""

    id: int
    name: str
    phone: str | None
    is_owner: bool
    numbers: dict[str, str | None]  # SEALED_DRIVER_FIELDS, each masked

    def value(self, field: str) -> Any:
        """One shown field of the driver by its name in a field path, None if unknown."""
        if field in self.numbers:
            return self.numbers[field]
        return {"id": self.id, "name": self.name, "phone": self.phone,
                "is_owner": self.is_owner}.get(field)


@dataclass(frozen=True)
class FilingView:
    """A filing with what its answer needs beside the row: drivers and slots, the owner's
    id number masked, renewal and correction links, the fast lane (R-F3, R-D6, R-P2.6).
    Nothing sealed is read in clear here; ``names_masked`` is the service's decision that
    names are masked for this viewer too (filing_reveal, R-U7)."""

    filing: Filing
    drivers: tuple[DriverView, ...]
    documents: dict[str, int]
    owner_id_number: str | None
    renewable_from: datetime | None
    corrected_by_id: int | None
    fast_lane: FastLaneDecision | None
    names_masked: bool = False


async def view(deps: Deps, filing: Filing,
               parts: filing_rows.Parts | None = None) -> FilingView:
    """The filing with identity numbers and phones masked for every viewer, whatever the
    role (R-U7): a clear value comes only from ``filing_reveal.reveal``, one field at a
    time, audited. Doors use ``filing_reveal.view``. ``parts`` read with the filing saves a
    round trip."""
    if parts is None:
        found = await filing_rows.load(filing.id)
        parts = found[1] if found else filing_rows.Parts([], {})

    def show(sealed: dict[str, str], key: str, context: str) -> str | None:
        return mask_number(_open(deps, sealed, key, context))

    drivers = tuple(
        DriverView(d["id"], d["name"], _masked_phone(deps, d), d["is_owner"],
                   {k: show(d["sealed"], k, f"driver.{k}") for k in SEALED_DRIVER_FIELDS})
        for d in parts.drivers)
    owner_id = show(filing.sealed, "owner.id_number", "owner.id_number") \
        if filing.category is FilingCategory.PERSONAL else None
    return FilingView(filing, drivers, dict(parts.documents), owner_id,
                      renewals.renewable_from(filing)
                      if filing.status is FilingStatus.APPROVED else None,  # R-F3
                      await corrections.corrected_by(filing),  # R-D6
                      await fast_lane.of_filing(filing))  # R-P2.6


def _masked_phone(deps: Deps, driver: dict[str, Any]) -> str | None:
    """A driver's phone (sealed, or clear from before sealing), masked (R-U7)."""
    return mask_phone(phones.read(deps, driver["sealed"], "phone", "driver.phone",
                                  driver["phone"]) or "")
