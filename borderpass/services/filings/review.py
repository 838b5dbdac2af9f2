"""Review by the port office (R-F6, R-F10): a queue in submission order, approve or return."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError
from borderpass.models import Filing, OfficialLetter, User
from borderpass.models.enums import FilingStatus, LetterStatus, Role
from borderpass.services import audit, clock, notify
from borderpass.services.credit import sources as credit_sources
from borderpass.services.filings import (
    corrections,
    letter_scope,
    profiles,
    renewals,
    return_reasons,
    review_claims,
)
from borderpass.services.filings.requirements import DOCUMENT_KINDS, category_fields
from borderpass.services.identity.access import require_role
from borderpass.services.office_hours import REVIEW_TARGET_SECONDS, office_seconds
from borderpass.services.ports import Deps
from borderpass.services.validators import found

FILING_VALIDITY_MONTHS = renewals.VALIDITY_MONTHS  # R-F3
MAX_REASONS = 50


async def queue(deps: Deps, reviewer: User, limit: int = 100,
                offset: int = 0) -> list[dict[str, Any]]:
    """Submitted filings oldest first, each with its office-time wait against the target."""
    require_role(reviewer, Role.REVIEWER, Role.ADMIN)
    now = clock.now()
    rows = await Filing.filter(status=FilingStatus.SUBMITTED).order_by("submitted_at", "id") \
        .offset(max(0, offset)).limit(limit)
    items = []
    for filing in rows:
        assert filing.submitted_at is not None
        waited = office_seconds(filing.submitted_at, now, deps.tz, deps.holidays)  # R-F10
        items.append({
            "id": filing.id,
            "category": filing.category.value,
            "plate_number": filing.plate_number,
            "submitted_at": filing.submitted_at.isoformat(),
            "waited_office_seconds": waited,
            "target_seconds": REVIEW_TARGET_SECONDS,
            "overdue": waited > REVIEW_TARGET_SECONDS,
            "renews_id": filing.renews_id,  # type: ignore[attr-defined]  # R-F3
            "corrects_id": filing.corrects_id,  # type: ignore[attr-defined]  # R-D6
            "renewal_changes": filing.renewal_changes,
        })
    return items


async def queue_total(reviewer: User) -> int:
    """How many filings await review (the queue's total, all pages)."""
    require_role(reviewer, Role.REVIEWER, Role.ADMIN)
    return await Filing.filter(status=FilingStatus.SUBMITTED).count()


async def next_in_queue(reviewer: User, after: int | None = None) -> int | None:
    """The oldest submitted filing the reviewer may take next: not ``after`` (just decided)
    and not held by another reviewer (R-F11); None when the queue holds none."""
    require_role(reviewer, Role.REVIEWER, Role.ADMIN)
    skip = await review_claims.held_by_others(reviewer)
    if after is not None:
        skip.add(after)
    query = Filing.filter(status=FilingStatus.SUBMITTED)
    if skip:
        query = query.exclude(id__in=sorted(skip))
    found = await query.order_by("submitted_at", "id").first()
    return found.id if found is not None else None


async def _submitted(filing_id: int) -> Filing:
    filing = found(await Filing.get_or_none(id=filing_id), "filing_not_found")
    if filing.status is not FilingStatus.SUBMITTED:
        raise Conflict("filing_not_submitted", "status", status=filing.status.value)
    return filing


async def approve(reviewer: User, filing_id: int) -> Filing:
    """Approve a submitted filing: valid for one year from now (R-F3)."""
    require_role(reviewer, Role.REVIEWER, Role.ADMIN)
    filing = await _submitted(filing_id)
    now = clock.now()
    correction = filing.corrects_id is not None  # type: ignore[attr-defined]
    # R-F3: a renewal starts later; R-D6: a correction keeps the old expiry
    starts, expires = await (corrections.validity if correction else renewals.validity)(
        filing, now)
    async with in_transaction():  # decision, audit row and message, or none (R-U7)
        await review_claims.settle(reviewer, filing.id)  # R-F11: not another's filing
        changed = await Filing.filter(id=filing.id, status=FilingStatus.SUBMITTED).update(
            status=FilingStatus.APPROVED, approved_at=now, starts_at=starts, expires_at=expires,
            reviewer_id=reviewer.id, return_reasons=[])
        if not changed:
            raise Conflict("filing_not_submitted", "status")
        await audit.record(reviewer, "update", "filing", filing.id, ["status"],
                           decision="approved")
        await filing.refresh_from_db()
        if correction:
            await corrections.on_approved(filing)  # R-D6: supersedes the corrected filing
        else:
            await renewals.on_approved(filing)  # R-F3: list entries and open trip carry over
        await profiles.verify_used((filing.data.get("profile") or {}).get("id"), reviewer,
                                   "filing_approved")  # R-P1b
        await notify.filing_reviewed(filing)  # its message, or no decision (issue #18)
    return filing


def _reason_fields(filing: Filing) -> set[str]:
    names = {spec.name for spec in category_fields(filing.category)}
    names |= {f"documents.{kind}" for kind in DOCUMENT_KINDS}
    return names | {"drivers", "vehicle", "documents", "general"}


def check_reasons(filing: Filing, reasons: object, lang: str = "zh_CN") -> list[dict[str, str]]:
    """Validate return reasons: a non-empty list of {field, code, message} (R-F6); the code
    is one of ``return_reasons.CODES``, "other" needs a typed note, stored with ``lang``."""
    if not isinstance(reasons, list) or not reasons:
        raise FieldError("reasons_required", "reasons")
    if len(reasons) > MAX_REASONS:
        raise FieldError("too_many", "reasons", max=MAX_REASONS)
    known = _reason_fields(filing)
    cleaned = []
    for i, reason in enumerate(reasons):
        path = f"reasons[{i}]"
        if not isinstance(reason, dict):
            raise FieldError("type_object", path)
        field, code = reason.get("field"), reason.get("code", "other")
        message = reason.get("message", "")
        if not isinstance(field, str) or not field:
            raise FieldError("required", f"{path}.field")
        base = field.split("#", 1)[0]
        if base not in known and not base.startswith("drivers["):
            raise FieldError("unknown_field", f"{path}.field")
        if not isinstance(code, str) or not isinstance(message, str):
            raise FieldError("type_string", f"{path}.message")
        if len(message) > 500:
            raise FieldError("length", f"{path}.message", max=500)
        if code not in return_reasons.CODES:
            raise FieldError("choice", f"{path}.code",
                             choices=", ".join(return_reasons.CODES))
        if code == return_reasons.OTHER and not message.strip():
            raise FieldError("required", f"{path}.message")
        item = {"field": field, "code": code, "message": message.strip()}
        if item["message"]:
            item["lang"] = lang  # shown with its language marked (issue #18)
        cleaned.append(item)
    return cleaned


async def return_filing(reviewer: User, filing_id: int, reasons: object) -> Filing:
    """Return a filing with every reason at once; the applicant corrects and resubmits (R-F6)."""
    require_role(reviewer, Role.REVIEWER, Role.ADMIN)
    filing = await _submitted(filing_id)
    cleaned = check_reasons(filing, reasons, return_reasons.typed_language(reviewer.locale))
    async with in_transaction():  # decision, audit row and message, or none (R-U7)
        await review_claims.settle(reviewer, filing.id)  # R-F11: not another's filing
        changed = await Filing.filter(id=filing.id, status=FilingStatus.SUBMITTED).update(
            status=FilingStatus.RETURNED, returned_at=clock.now(), reviewer_id=reviewer.id,
            return_reasons=cleaned)
        if not changed:
            raise Conflict("filing_not_submitted", "status")
        await audit.record(reviewer, "update", "filing", filing.id, ["status"],
                           decision="returned", reasons=len(cleaned))
        await filing.refresh_from_db()
        await credit_sources.false_data_return(filing, cleaned)  # R-P2.7
        await notify.filing_reviewed(filing)  # its message, or no decision (issue #18)
    return filing


async def submit_letter(deps: Deps, user: User, unit_name: object, document_id: object,
                        vehicles: object = None, people: object = None) -> OfficialLetter:
    """File a unit's official letter, with the vehicles and people it names, for approval
    before an official filing (R-F2)."""
    from borderpass.services.filings.documents import owned_document

    if not isinstance(unit_name, str) or not unit_name.strip():
        raise FieldError("required", "unit_name")
    if len(unit_name) > 100:
        raise FieldError("length", "unit_name", max=100)
    doc = await owned_document(user, document_id, "document_id")
    if doc.kind != "official_letter":
        raise FieldError("document_wrong_kind", "document_id", expected="official_letter",
                         found=doc.kind)
    cars, persons = letter_scope.parse(deps, vehicles, people)  # R-F2: what it names
    return await OfficialLetter.create(applicant=user, unit_name=unit_name.strip(), document=doc,
                                       vehicles=cars, people=persons)


async def decide_letter(reviewer: User, letter_id: int, approve: bool,
                        reason: str = "") -> OfficialLetter:
    """Approve or refuse a pending official letter (R-F2)."""
    require_role(reviewer, Role.REVIEWER, Role.ADMIN)
    letter = found(await OfficialLetter.get_or_none(id=letter_id), "letter_not_found")
    if letter.status is not LetterStatus.PENDING:
        raise Conflict("letter_decided", "status", status=letter.status.value)
    if not approve and not reason.strip():
        raise FieldError("required", "reason")
    if approve and not (letter.vehicles and letter.people):  # R-F2: it must name them
        raise Conflict("letter_names_nothing", "named_vehicles")
    letter.status = LetterStatus.APPROVED if approve else LetterStatus.REFUSED
    letter.reviewer = reviewer
    letter.reason = reason.strip()[:500]
    letter.decided_at = clock.now()
    async with in_transaction():
        await letter.save()
        await audit.record(reviewer, "update", "official_letter", letter.id, ["status"],
                           decision=letter.status.value)
    return letter


async def expire_filings(batch: int = 500) -> int:
    """Mark approved filings past their year as expired (R-F3); reads only due rows."""
    now = clock.now()
    ids = await Filing.filter(status=FilingStatus.APPROVED, expires_at__lte=now) \
        .limit(batch).values_list("id", flat=True)
    if not ids:
        return 0
    return await Filing.filter(id__in=list(ids), status=FilingStatus.APPROVED).update(
        status=FilingStatus.EXPIRED)


