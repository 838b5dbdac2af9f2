"""Enqueue hooks for events other services raise, and the user's channel state (grants, OA)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from borderpass.core.errors import FieldError
from borderpass.models import Declaration, Filing, User
from borderpass.models.enums import FilingStatus
from borderpass.models.notify import Recipient, SubscribeGrant
from borderpass.services import clock
from borderpass.services.notify import grants, kinds
from borderpass.services.notify.outbox import Intent, enqueue, wake

log = logging.getLogger("borderpass.notify")
GRANT_ANSWERS = ("accept", "reject", "ban", "filter")
MAX_TEMPLATES = 20
UNIT_CHANGES = ("added", "removed")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def _locale_of(user_id: int) -> str:
    user = await User.get_or_none(id=user_id).only("id", "locale")
    return user.locale if user else "zh_CN"


def review_intent(filing: Filing, locale: str) -> Intent | None:
    """The message a review decision owes the applicant: approved (with its expiry) or
    returned (with every reason, R-F6). The reviewing service writes it in the decision's
    own transaction, so a decision never stands without its message (issue #18)."""
    user_id = filing.applicant_id  # type: ignore[attr-defined]
    base = {"filing_id": filing.id, "plate": filing.plate_number or ""}
    if filing.status is FilingStatus.APPROVED:
        return Intent(f"filing:{filing.id}:approved:{_iso(filing.approved_at)}", user_id,
                      kinds.FILING_APPROVED, locale,
                      {**base, "approved_at": _iso(filing.approved_at),
                       "expires_at": _iso(filing.expires_at)})
    if filing.status is FilingStatus.RETURNED:  # R-F6: all reasons at once
        return Intent(f"filing:{filing.id}:returned:{_iso(filing.returned_at)}", user_id,
                      kinds.FILING_RETURNED, locale,
                      {**base, "returned_at": _iso(filing.returned_at),
                       "reasons": list(filing.return_reasons)})
    return None


async def filing_reviewed(filing: Filing) -> None:
    """Queue the review result; call it inside the decision's transaction: a failure here
    fails (and rolls back) the decision rather than lose its message."""
    locale = await _locale_of(filing.applicant_id)  # type: ignore[attr-defined]
    if (intent := review_intent(filing, locale)) is not None:
        await enqueue([intent])


def declaration_accepted(declaration: Declaration, filing: Filing, locale: str) -> Intent:
    """The message that a declaration was accepted: its pass link. No deadline: the trip's
    is counted from the exit crossing and told then (R-F8, ``trip_opened``). The declaring
    service writes it in the declaration's own transaction, so an accepted declaration
    always has its message queued."""
    return Intent(
        f"declaration:{declaration.id}:accepted",
        declaration.declared_by_id,  # type: ignore[attr-defined]
        kinds.DECLARATION_ACCEPTED, locale,
        {"declaration_id": declaration.id, "filing_id": filing.id,
         "plate": filing.plate_number or "", "direction": declaration.direction.value,
         "port": declaration.port, "planned_at": _iso(declaration.planned_at)})


async def unit_list_changed(event_id: str, user_id: int, unit: str, subject: str,
                            change: str, reason: str = "") -> None:
    """Hook for the units context (R-U6): a person or vehicle was added to or removed from a
    unit's credit pass list; ``reason`` is one of texts.UNIT_REASONS or free text."""
    if change not in UNIT_CHANGES:
        raise FieldError("choice", "change", choices=", ".join(UNIT_CHANGES))
    await enqueue([Intent(f"unit:{event_id}", user_id, kinds.UNIT_LIST_CHANGED,
                          await _locale_of(user_id),
                          {"unit": unit, "subject": subject, "change": change,
                           "reason": reason})])


async def record_grants(user: User, results: object, allowed: frozenset[str]) -> dict[str, int]:
    """Store the answers of ``wx.requestSubscribeMessage``: each accept is one more send."""
    if not isinstance(results, Mapping) or not results:
        raise FieldError("type_object", "results")
    if len(results) > MAX_TEMPLATES:
        raise FieldError("too_many", "results", max=MAX_TEMPLATES)
    for template_id, answer in results.items():
        if template_id not in allowed:
            raise FieldError("template_unknown", f"results.{template_id}")
        if answer not in GRANT_ANSWERS:
            raise FieldError("choice", f"results.{template_id}", choices=", ".join(GRANT_ANSWERS))
    counts: dict[str, int] = {}
    for template_id, answer in results.items():
        # A "reject" declines this request only: sends already granted stay usable.
        if answer in ("ban", "filter"):
            counts[template_id] = await grants.end(user.id, template_id)
        else:
            counts[template_id] = await grants.add(user.id, template_id, answer == "accept")
    if any(a == "accept" for a in results.values()):
        await wake(user.id)
    return counts


async def link_official_account(user: User, oa_openid: str) -> Recipient:
    """Tie the user's Official Account openid to their account (the bot calls this)."""
    if not oa_openid or len(oa_openid) > 64:
        raise FieldError("required", "oa_openid")
    recipient, _ = await Recipient.get_or_create(user_id=user.id)
    await Recipient.filter(oa_openid=oa_openid).exclude(id=recipient.id).update(oa_openid=None)
    recipient.oa_openid = oa_openid
    await recipient.save(update_fields=["oa_openid"])
    await wake(user.id)
    return recipient


async def record_contact(oa_openid: str, at: datetime | None = None) -> bool:
    """The user wrote to the Official Account: the 48-hour window opens, waiting mail resumes."""
    recipient = await Recipient.get_or_none(oa_openid=oa_openid)
    if recipient is None:
        return False
    recipient.last_contact_at = at or clock.now()
    await recipient.save(update_fields=["last_contact_at"])
    await wake(recipient.user_id)  # type: ignore[attr-defined]
    return True


def grants_view(grants: list[SubscribeGrant]) -> dict[str, Any]:
    """The user's remaining sends per template."""
    return {g.template_id: g.remaining for g in grants}
