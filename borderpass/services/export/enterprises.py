"""Enterprise filing — 二手车出口企业备案 (R-E1): file, review in 15 working days, valid a year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError, FieldErrors, Forbidden, NotFound
from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.export import (
    Enterprise,
    EnterpriseFiling,
    EnterpriseMember,
    ExportFilingStatus,
    FilingKind,
)
from borderpass.services import clock
from borderpass.services.export import forms
from borderpass.services.export import members as export_members
from borderpass.services.export.calendar import working_day_deadline, working_days_between
from borderpass.services.filings import profile_prefill, profiles
from borderpass.services.filings.filing_checks import add_months
from borderpass.services.identity import phones
from borderpass.services.identity.access import require_role
from borderpass.services.ports import Deps
from borderpass.services.validators import check_name, check_phone, check_uscc, found

FILING_VALIDITY_MONTHS = 12  # R-E1
REVIEW_WORKING_DAYS = 15  # R-E1
FILING_DOCUMENTS = ("business_licence", "export_filing_form")
REVIEWER_ROLES = (Role.REVIEWER, Role.ADMIN)
_FIELDS = frozenset({"general", "uscc", "enterprise_name", "address", "legal_representative",
                     "contact_name", "contact_phone", "documents"})


async def current_filing(enterprise_id: int, now: datetime) -> EnterpriseFiling | None:
    """The approved filing in force: the latest approval whose year has not run out (R-E1)."""
    return await EnterpriseFiling.filter(
        enterprise_id=enterprise_id, status=ExportFilingStatus.APPROVED, expires_at__gt=now
    ).order_by("-approved_at", "-id").first()


async def last_expiry(enterprise_id: int) -> datetime | None:
    """When the enterprise's latest approved filing expired (or expires)."""
    latest = await EnterpriseFiling.filter(
        enterprise_id=enterprise_id, status=ExportFilingStatus.APPROVED
    ).order_by("-expires_at").first()
    return latest.expires_at if latest else None


def _checked(value: object, field: str, check: Any, problems: list[FieldError]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(FieldError("required", field))
        return ""
    try:
        return str(check(value, field))
    except FieldError as err:
        problems.append(err)
        return ""


async def _parse(user: User, body: dict[str, Any],
                 trusted: frozenset[int] = frozenset()) -> tuple[
        FilingKind, str, dict[str, Any], dict[str, int]]:
    """Every field of a filing application, all problems at once."""
    problems: list[FieldError] = []
    kind = FilingKind.NEW
    try:
        kind = FilingKind(body.get("filing_kind", "new"))
    except ValueError:
        problems.append(FieldError("choice", "filing_kind", choices="new, change"))
    uscc = _checked(body.get("uscc"), "uscc", check_uscc, problems)
    data = {
        "enterprise_name": forms.text(body, "enterprise_name", 100, problems),
        "address": forms.text(body, "address", 200, problems),
        "legal_representative": _checked(body.get("legal_representative"),
                                         "legal_representative", check_name, problems),
        "contact_name": _checked(body.get("contact_name"), "contact_name", check_name,
                                 problems),
        "contact_phone": _checked(body.get("contact_phone"), "contact_phone", check_phone,
                                  problems),
    }
    docs = await forms.documents(user, body.get("documents"), FILING_DOCUMENTS, problems,
                                 trusted)
    if problems:
        raise FieldErrors(problems)
    return kind, uscc, data, docs


async def submit(deps: Deps, user: User, body: dict[str, Any]) -> EnterpriseFiling:
    """File a new filing or a change for an enterprise (found or created by its USCC).

    Filing grants nothing (R-E2): the applicant of an enterprise's first approved filing
    becomes its first member, so an impostor's refused filing leaves the USCC free. An
    enterprise with members takes filings from its members only. With a ``profile_id`` the
    enterprise's particulars come from its organisation profile (R-P1a)."""
    body, profile, trusted = await profile_prefill.fill(deps, user, body, "export_filing")
    kind, uscc, data, docs = await _parse(user, body, trusted)
    if profile is not None:
        data["profile_id"] = profile.id
    now = clock.now()
    enterprise = await Enterprise.get_or_none(uscc=uscc)
    has_members = enterprise is not None and await EnterpriseMember.filter(
        enterprise_id=enterprise.id).exists()
    if has_members and not await forms.is_member(user, enterprise):  # type: ignore[arg-type]
        raise Forbidden("export_not_member", "uscc")  # R-E2: nobody files for another
    if kind is FilingKind.CHANGE and (enterprise is None
                                      or await current_filing(enterprise.id, now) is None):
        raise Conflict("export_change_needs_filing", "filing_kind")  # R-E1
    # An enterprise with members has one pending filing at a time; while it has none, each
    # claimant has theirs, so a pending impostor does not hold the USCC either.
    pending = EnterpriseFiling.filter(status=ExportFilingStatus.SUBMITTED)
    if not has_members:
        pending = pending.filter(applicant_id=user.id)
    if enterprise is not None and await pending.filter(enterprise_id=enterprise.id).exists():
        raise Conflict("export_filing_pending", "uscc")
    due = working_day_deadline(now, REVIEW_WORKING_DAYS, deps.tz, deps.holidays)
    try:
        async with in_transaction():
            if enterprise is None:
                enterprise = await Enterprise.create(uscc=uscc, name=data["enterprise_name"])
            token, key = phones.seal(deps, data.pop("contact_phone"), "export.contact_phone")
            return await EnterpriseFiling.create(  # the phone sealed, never in data (R-U7)
                enterprise=enterprise, applicant=user, kind=kind, data=data, documents=docs,
                sealed={"contact_phone": token}, contact_phone_key=key,
                submitted_at=now, review_due_at=due)
    except IntegrityError as exc:  # the same USCC registered at the same moment
        raise Conflict("export_filing_pending", "uscc") from exc


async def queue(deps: Deps, reviewer: User, limit: int = 100) -> list[ExportFilingView]:
    """Submitted filings oldest first, with working days waited against the 15-day target."""
    require_role(reviewer, *REVIEWER_ROLES)
    now = clock.now()
    rows = await EnterpriseFiling.filter(status=ExportFilingStatus.SUBMITTED) \
        .order_by("submitted_at", "id").limit(limit).prefetch_related("enterprise")
    return [view(f, now, deps) for f in rows]


async def _submitted(filing_id: int) -> EnterpriseFiling:
    filing = found(await EnterpriseFiling.get_or_none(id=filing_id).prefetch_related("enterprise"),
                   "export_filing_not_found")
    if filing.status is not ExportFilingStatus.SUBMITTED:
        raise Conflict("export_filing_not_submitted", "status", status=filing.status.value)
    return filing


async def approve(reviewer: User, filing_id: int) -> EnterpriseFiling:
    """Approve: a new filing runs a year from now, a change keeps the current expiry (R-E1)."""
    require_role(reviewer, *REVIEWER_ROLES)
    filing = await _submitted(filing_id)
    now = clock.now()
    if filing.kind is FilingKind.NEW:
        expires = now + (add_months(now.date(), FILING_VALIDITY_MONTHS) - now.date())
    else:
        in_force = await current_filing(filing.enterprise_id, now)  # type: ignore[attr-defined]
        if in_force is None or in_force.expires_at is None:
            raise Conflict("export_change_needs_filing", "filing_kind")
        expires = in_force.expires_at
    applicant = await User.get(id=filing.applicant_id)  # type: ignore[attr-defined]
    async with in_transaction():
        await Enterprise.select_for_update().get(id=filing.enterprise.id)
        members = EnterpriseMember.filter(enterprise_id=filing.enterprise.id)
        joins = not await members.exists()  # R-E2: the first approved applicant is a member
        if not joins and not await members.filter(user_id=applicant.id).exists():
            raise Conflict("export_not_member", "applicant")  # another claimant won the USCC
        changed = await EnterpriseFiling.filter(
            id=filing.id, status=ExportFilingStatus.SUBMITTED).update(
            status=ExportFilingStatus.APPROVED, decided_at=now, approved_at=now,
            expires_at=expires, reviewer_id=reviewer.id)
        if not changed:
            raise Conflict("export_filing_not_submitted", "status")
        await Enterprise.filter(id=filing.enterprise.id).update(
            name=filing.data["enterprise_name"])
        if joins:
            await export_members.grant(filing.enterprise, applicant, reviewer,
                                       "approved_filing")
        await profiles.verify_used(filing.data.get("profile_id"), reviewer,
                                   "export_filing_approved")  # R-P1b
    await filing.refresh_from_db()
    return filing


async def refuse(reviewer: User, filing_id: int, reasons: object) -> EnterpriseFiling:
    """Refuse with every reason at once (R-E1: 一次性告知); the enterprise may file again."""
    require_role(reviewer, *REVIEWER_ROLES)
    filing = await _submitted(filing_id)
    cleaned = forms.reasons(reasons, _FIELDS)
    changed = await EnterpriseFiling.filter(
        id=filing.id, status=ExportFilingStatus.SUBMITTED).update(
        status=ExportFilingStatus.REFUSED, decided_at=clock.now(), reviewer_id=reviewer.id,
        refusal_reasons=cleaned)
    if not changed:
        raise Conflict("export_filing_not_submitted", "status")
    await filing.refresh_from_db()
    return filing


async def visible(user: User, filing_id: int) -> EnterpriseFiling:
    """A filing of one of the user's enterprises, or any filing for a reviewer."""
    filing = await EnterpriseFiling.get_or_none(id=filing_id).prefetch_related("enterprise")
    if filing is None or not (user.has_role(*REVIEWER_ROLES)
                              or filing.applicant_id == user.id  # type: ignore[attr-defined]
                              or await forms.is_member(user, filing.enterprise)):
        raise NotFound("export_filing_not_found", "id")
    return filing


async def list_own(user: User) -> list[EnterpriseFiling]:
    """Filings of the user's enterprises and the user's own, newest first."""
    ids = await EnterpriseMember.filter(user_id=user.id).values_list("enterprise_id", flat=True)
    return await EnterpriseFiling.filter(
        Q(enterprise_id__in=list(ids)) | Q(applicant_id=user.id)).order_by("-id") \
        .limit(200).prefetch_related("enterprise")


@dataclass(frozen=True)
class ExportFilingView:
    """A filing (its ``enterprise`` fetched) with its review clock at a moment (R-E1) and
    its contact phone opened (the presenter masks it, R-U7)."""

    filing: EnterpriseFiling
    contact_phone: str | None
    working_days_waited: int
    overdue: bool
    in_force: bool


def view(filing: EnterpriseFiling, now: datetime, deps: Deps) -> ExportFilingView:
    """A filing as it stands at ``now``."""
    decided = filing.decided_at or now
    phone = phones.read(deps, filing.sealed, "contact_phone", "export.contact_phone",
                        filing.data.get("contact_phone"))
    return ExportFilingView(
        filing, phone,
        working_days_between(filing.submitted_at, decided, deps.tz, deps.holidays),
        overdue=decided >= filing.review_due_at,
        in_force=filing.status is ExportFilingStatus.APPROVED
        and filing.expires_at is not None and filing.expires_at > now)
