"""Personal data of a filing on staff screens: masked by default, one field revealed at a
time to a role that needs it, each reveal an audit row (R-U7).

Who needs what: the reviewer (or an admin at the review desk) a filing under review; customs
(or an admin) the blacklisted subject of a filing (R-F9), that is the owner's fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from borderpass.core.errors import FieldError, Forbidden, NotFound
from borderpass.core.masking import mask_name, mask_number
from borderpass.models import Document, Filing, FilingDriver, User
from borderpass.models.enums import STAFF_ROLES, FilingCategory, FilingStatus, Role
from borderpass.services import audit, blacklist, documents, filings, phones
from borderpass.services.access import require_role
from borderpass.services.ports import Deps

REVIEW_NEED_ROLES = (Role.REVIEWER, Role.ADMIN)
BLACKLIST_NEED_ROLES = (Role.CUSTOMS, Role.ADMIN)
REVEAL_ROLES = (Role.REVIEWER, Role.CUSTOMS, Role.ADMIN)
DRIVER_FIELDS = ("name", "id_number", "licence_number", "permit_number", "phone")
OWNER_FIELDS = ("owner.id_number", "vehicle.owner_name")
_DRIVER_PATH = re.compile(r"^drivers\[(\d{1,2})\]\.([a-z_]{1,20})$")
# OCR reading fields that are personal data, with how each is masked on screen.
OCR_MASKS: dict[str, Callable[[str | None], str | None]] = {
    "name": mask_name, "owner": mask_name, "address": mask_name, "id_number": mask_number,
    "licence_number": mask_number, "permit_number": mask_number, "birth_date": mask_number,
}


async def masked_view(deps: Deps, filing: Filing, viewer: User) -> dict[str, Any]:
    """The filing with every personal field masked; nothing is read in clear, so no audit."""
    body = await filings.describe(deps, filing, viewer, masked=True)
    for driver in body["drivers"]:
        driver["name"] = mask_name(driver["name"])
    personal = filing.category is FilingCategory.PERSONAL
    if personal and body["vehicle"].get("owner_name"):
        body["vehicle"] = {**body["vehicle"],
                           "owner_name": mask_name(body["vehicle"]["owner_name"])}
    for key in ("prefilled", "conflicts"):  # OCR marks may carry a name read from a document
        body[key] = {path: _masked_mark(path, mark, personal) for path, mark in body[key].items()}
    return body


def _masked_mark(path: str, mark: dict[str, Any], personal: bool) -> dict[str, Any]:
    if not mark.get("value") or not is_personal(path, personal):
        return mark
    return {**mark, "value": mask_name(str(mark["value"]))}


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
    """Why ``user`` may reveal this filing's personal data: "review", "blacklist" or None."""
    if user.has_role(*REVIEW_NEED_ROLES) and filing.status is FilingStatus.SUBMITTED:
        return "review"
    if user.has_role(*BLACKLIST_NEED_ROLES):
        keys = [filing.owner_key, f"filing:{filing.id}"]
        if await blacklist.active_entry(keys) is not None:  # R-F9: the listed subject
            return "blacklist"
    return None


async def revealable(user: User, filing: Filing) -> frozenset[str]:
    """The field paths ``user`` may reveal on this filing (empty without a need)."""
    why = await need(user, filing)
    if why is None:
        return frozenset()
    drivers = await FilingDriver.filter(filing=filing).order_by("position")
    personal = filing.category is FilingCategory.PERSONAL
    paths = set(OWNER_FIELDS) if personal else set()
    for i, driver in enumerate(drivers):
        if why == "review" or driver.is_owner:  # customs: only the listed owner
            paths |= {f"drivers[{i}].{name}" for name in DRIVER_FIELDS}
    return frozenset(paths)


async def reveal(deps: Deps, user: User, filing_id: int, path: str) -> str | None:
    """The clear value of one field, for a role that needs it; audited (R-U7)."""
    filing = await Filing.get_or_none(id=filing_id)
    if filing is None:
        raise NotFound("filing_not_found", "id")
    why = await need(user, filing)
    if why is None:
        raise Forbidden("reveal_not_needed")
    if not is_personal(path, filing.category is FilingCategory.PERSONAL):
        raise FieldError("reveal_field", "field")
    if path not in await revealable(user, filing):
        # A driver that does not exist is a bad field; one customs has no need of is 403.
        if why == "blacklist" and await _driver_exists(filing, path):
            raise Forbidden("reveal_not_needed")
        raise FieldError("reveal_field", "field")
    value = await _clear_value(deps, filing, path)
    await audit.record(user, "reveal", "filing", filing.id, [path], need=why)
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
