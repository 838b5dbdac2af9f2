"""Personal data of a filing in every answer: masked by default, one field of one filing
revealed at a time, with a stated purpose, to whoever needs it, each reveal an audit row
(R-U7). The one rule for the API, the console and any later door (docs/personal-data-access.md).

Who needs what:
- the applicant, any field of their own filing (the data subject's own data, PIPL);
- a reviewer (or an admin) any field of a filing under review (submitted);
- customs (or an admin) the listed owner of a personal filing while an unlifted blacklist
  entry names that owner (R-F9): the owner's id number and name and the owner-driver's fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from borderpass.core.errors import FieldError, Forbidden
from borderpass.core.masking import mask_name, mask_number
from borderpass.models import BlacklistEntry, Document, Filing, FilingDriver, User
from borderpass.models.enums import STAFF_ROLES, FilingCategory, FilingStatus, Role
from borderpass.services import audit
from borderpass.services.filings import documents, filing_rows, filings
from borderpass.services.identity import phones
from borderpass.services.identity.access import require_role
from borderpass.services.ports import Deps

REVIEW_NEED_ROLES = (Role.REVIEWER, Role.ADMIN)
BLACKLIST_NEED_ROLES = (Role.CUSTOMS, Role.ADMIN)
REVEAL_ROLES = (Role.REVIEWER, Role.CUSTOMS, Role.ADMIN)
PURPOSE_MAX = 200
DRIVER_FIELDS = ("name", "id_number", "licence_number", "permit_number", "phone")
OWNER_FIELDS = ("owner.id_number", "vehicle.owner_name")
_DRIVER_PATH = re.compile(r"^drivers\[(\d{1,2})\]\.([a-z_]{1,20})$")
# OCR reading fields that are personal data, with how each is masked on screen.
OCR_MASKS: dict[str, Callable[[str | None], str | None]] = {
    "name": mask_name, "owner": mask_name, "address": mask_name, "id_number": mask_number,
    "licence_number": mask_number, "permit_number": mask_number, "birth_date": mask_number,
}


async def view(deps: Deps, filing: Filing, viewer: User,
               parts: filing_rows.Parts | None = None) -> filings.FilingView:
    """The filing as any door shows it to ``viewer``: numbers and phones always masked; names
    in clear only for the applicant and the drivers on it, as before (R-U7); staff see names
    masked too. Nothing clear, so no audit."""
    own = filing.applicant_id == viewer.id  # type: ignore[attr-defined]
    if own or not viewer.has_role(*STAFF_ROLES):  # only the applicant or a driver on it
        return await filings.view(deps, filing, parts=parts)
    return await masked_view(deps, filing, parts)


async def masked_view(deps: Deps, filing: Filing,
                      parts: filing_rows.Parts | None = None) -> filings.FilingView:
    """The filing with every personal field masked, names too (the presenter applies it);
    nothing is read in clear, so no audit."""
    return replace(await filings.view(deps, filing, parts=parts), names_masked=True)


def is_personal(path: str, personal_category: bool) -> bool:
    """True when ``path`` names a field of a person (masked until revealed)."""
    if path in OWNER_FIELDS:  # an organisation's filing has no personal owner
        return personal_category
    match = _DRIVER_PATH.match(path)
    return bool(match and match.group(2) in DRIVER_FIELDS)


def masked_reading(ocr: dict[str, Any] | None) -> dict[str, Any] | None:
    """An OCR reading with its personal values masked (the image itself is audited)."""
    if not ocr:
        return ocr
    fields = {}
    for name, reading in (ocr.get("fields") or {}).items():
        mask = OCR_MASKS.get(name)
        value = reading.get("value")
        fields[name] = {**reading, "value": mask(str(value))} if mask and value else reading
    return {**ocr, "fields": fields}


async def masked_readings(deps: Deps, user: User,
                          document_ids: list[int]) -> dict[int, dict[str, Any] | None]:
    """The OCR readings of documents for staff, personal values masked: nothing clear, so
    no audit here; each image the page then loads is audited when read (R-U7)."""
    require_role(user, *STAFF_ROLES)
    docs = await Document.filter(id__in=document_ids)
    return {doc.id: masked_reading(documents.reading_of(deps, doc)) for doc in docs}


async def need(user: User, filing: Filing) -> str | None:
    """Why ``user`` may reveal this filing's personal data: "own", "review", "blacklist" or
    None (R-U7; the console's rule, one place for every door)."""
    if filing.applicant_id == user.id:  # type: ignore[attr-defined]
        return "own"
    if user.has_role(*REVIEW_NEED_ROLES) and filing.status is FilingStatus.SUBMITTED:
        return "review"
    if user.has_role(*BLACKLIST_NEED_ROLES) and await _owner_listed(filing):
        return "blacklist"
    return None


async def _owner_listed(filing: Filing) -> bool:
    """True when an unlifted entry names this personal filing's owner (R-F9)."""
    keys = [filing.owner_key] if filing.owner_key else []
    return _listed_owner(filing.category, filing.owner_key, await _listed(keys))


def _listed_owner(category: FilingCategory, owner_key: str | None, listed: set[str]) -> bool:
    """The blacklist need (R-F9, R-U7): a personal filing whose owner is among the ``listed``
    keys. An organisation's filing has no personal owner to reveal."""
    return category is FilingCategory.PERSONAL and bool(owner_key) and owner_key in listed


async def _listed(keys: list[str]) -> set[str]:
    """Those of ``keys`` that an unlifted blacklist entry names, in one query."""
    if not keys:
        return set()
    found = await BlacklistEntry.filter(subject_key__in=keys, lifted_at=None) \
        .values_list("subject_key", flat=True)
    return {str(key) for key in found}


async def revealable(user: User, filing: Filing) -> frozenset[str]:
    """The field paths ``user`` may reveal on this filing (empty without a need)."""
    why = await need(user, filing)
    if why is None:
        return frozenset()
    drivers = await FilingDriver.filter(filing=filing).order_by("position")
    personal = filing.category is FilingCategory.PERSONAL
    paths = set(OWNER_FIELDS) if personal else set()
    for i, driver in enumerate(drivers):
        if why != "blacklist" or driver.is_owner:  # customs: only the listed owner
            paths |= {f"drivers[{i}].{name}" for name in DRIVER_FIELDS}
    return frozenset(paths)


async def revealable_entries(user: User, entries: list[BlacklistEntry]) -> set[int]:
    """Ids of the blacklist entries whose subject ``user`` may reveal: the entry names the
    owner of its filing (the row's "show" reveals that person, nobody else) and
    :func:`need` grants the blacklist need on that filing — the same rule, read in bulk
    (R-F9, R-U7)."""
    if not user.has_role(*BLACKLIST_NEED_ROLES):
        return set()
    by_filing = {e.id: e.filing_id for e in entries if e.filing_id}  # type: ignore[attr-defined]
    if not by_filing:
        return set()
    subjects = {e.id: e.subject_key for e in entries}
    owners = {i: (FilingCategory(c), k) for i, c, k in await Filing.filter(
        id__in=set(by_filing.values())).values_list("id", "category", "owner_key")}
    listed = await _listed(sorted({str(k) for _, k in owners.values() if k}))
    return {i for i, filing_id in by_filing.items()
            if (owner := owners.get(filing_id)) is not None and owner[1] == subjects.get(i)
            and _listed_owner(owner[0], owner[1], listed)}


def check_purpose(purpose: object, required: bool) -> str:
    """The stated purpose of a reveal: required text for staff, at most 200 characters."""
    if purpose is None or purpose == "":
        if required:
            raise FieldError("required", "purpose")
        return ""
    if not isinstance(purpose, str):
        raise FieldError("type_string", "purpose")
    text = " ".join(purpose.split())
    if required and not text:
        raise FieldError("required", "purpose")
    if len(text) > PURPOSE_MAX:
        raise FieldError("length", "purpose", max=PURPOSE_MAX)
    return text


async def reveal(deps: Deps, user: User, filing_id: int, path: object,
                 purpose: object) -> str | None:
    """The clear value of one field of one filing, for whoever needs it, with a stated
    purpose; each reveal is one audit row: who, filing, field, purpose, time (R-U7).
    A filing the user may not see is 404, as everywhere."""
    filing = await filings.visible(user, filing_id)
    why = await need(user, filing)
    if why is None:
        raise Forbidden("reveal_not_needed")
    if not isinstance(path, str) or not is_personal(
            path, filing.category is FilingCategory.PERSONAL):
        raise FieldError("reveal_field", "field")
    if path not in await revealable(user, filing):
        # A driver that does not exist is a bad field; one customs has no need of is 403.
        if why == "blacklist" and await _driver_exists(filing, path):
            raise Forbidden("reveal_not_needed")
        raise FieldError("reveal_field", "field")
    text = check_purpose(purpose, required=why != "own")
    value = await _clear_value(deps, filing, path)
    await audit.record(user, "reveal", "filing", filing.id, [path], need=why, purpose=text)
    return value


async def _driver_exists(filing: Filing, path: str) -> bool:
    match = _DRIVER_PATH.match(path)
    if match is None:
        return False
    return await FilingDriver.filter(filing=filing).count() > int(match.group(1))


async def _clear_value(deps: Deps, filing: Filing, path: str) -> str | None:
    if path == "owner.id_number":
        sealed = filing.sealed.get(path)
        return deps.cipher.decrypt(sealed, path) if sealed else None
    if path == "vehicle.owner_name":
        owner = filing.data.get("vehicle", {}).get("owner_name")
        return str(owner) if owner else None
    match = _DRIVER_PATH.match(path)
    assert match is not None  # checked by the caller
    index, name = int(match.group(1)), match.group(2)
    driver = (await FilingDriver.filter(filing=filing).order_by("position"))[index]
    if name == "name":
        return driver.name or None
    if name == "phone":
        return phones.read(deps, driver.sealed, "phone", "driver.phone", driver.phone)
    sealed = driver.sealed.get(name)
    return deps.cipher.decrypt(sealed, f"driver.{name}") if sealed else None
