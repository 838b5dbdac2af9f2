"""The privacy notice and the separate consent to it (PIPL art. 14, 17, 28–29; R-D1, R-D2).

The notice lives beside the credit commitments
(``locales/commitments/privacy.{version}.{locale}.md``): a new wording is a new version,
never an edit, so a consent's hash always names the exact words agreed to. Identity
documents (numbers and the portrait on them) are sensitive personal information: none is
stored or read by OCR until the user has consented to the current version (R-D1), and none
after a withdrawal (R-D2).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError
from borderpass.core.i18n import LOCALES
from borderpass.models import Document, Filing, FilingDocument, PrivacyConsent, User
from borderpass.models.enums import FilingStatus
from borderpass.services import audit, clock
from borderpass.services.filings.commitments import CHAT, MINIAPP, CommitmentText, commitment_text
from borderpass.services.filings.documents import IDENTITY_KINDS
from borderpass.services.ports import Deps

NOTICE = "privacy"
CURRENT_VERSION = "v1"
# Kinds whose image or reading is sensitive personal information (PIPL art. 28): identity
# documents, whose front carries the holder's portrait (the face photo) and number.
SENSITIVE_KINDS = IDENTITY_KINDS
log = logging.getLogger("borderpass.privacy")


def notice(locale: str) -> CommitmentText:
    """The current privacy notice in ``locale`` (zh_CN if unsupported)."""
    return commitment_text(NOTICE, CURRENT_VERSION, locale if locale in LOCALES else "zh_CN")


def check_payload(payload: object) -> CommitmentText:
    """The notice agreed to by ``{version, locale, text_sha256, accepted}``, or a FieldError
    naming the field (an outdated version or another text is refused: read it again)."""
    if not isinstance(payload, dict):
        raise FieldError("type_object", "body")
    unknown = set(payload) - {"version", "locale", "text_sha256", "accepted"}
    if unknown:
        raise FieldError("unknown_field", sorted(unknown)[0])
    if payload.get("accepted") is not True:
        raise FieldError("consent_not_accepted", "accepted")
    locale = payload.get("locale")
    if locale not in LOCALES:
        raise FieldError("choice", "locale", choices=", ".join(LOCALES))
    if payload.get("version") != CURRENT_VERSION:
        raise FieldError("consent_outdated", "version", version=CURRENT_VERSION)
    assert isinstance(locale, str)
    text = notice(locale)
    if payload.get("text_sha256") != text.sha256:
        raise FieldError("commitment_text_mismatch", "text_sha256")
    return text


async def current_consent(user: User) -> PrivacyConsent | None:
    """The user's standing consent to the current notice version, if any."""
    return await PrivacyConsent.filter(user_id=user.id, version=CURRENT_VERSION,
                                       withdrawn_at__isnull=True).order_by("-id").first()


async def give(user: User, text: CommitmentText, channel: str) -> PrivacyConsent:
    """Record the user's consent to ``text`` (idempotent: a standing consent to the same
    version is returned as it is). R-D1"""
    if channel not in (MINIAPP, CHAT):
        raise ValueError(f"unknown consent channel {channel!r}")
    standing = await current_consent(user)
    if standing is not None:
        return standing
    consent = await PrivacyConsent.create(
        user=user, version=text.version, locale=text.locale, text_sha256=text.sha256,
        channel=channel, given_at=clock.now())
    log.info("privacy consent", extra={"version": text.version, "channel": channel})
    return consent


async def require(user: User, kind: str, field: str = "kind") -> None:
    """Refuse storing or reading a sensitive document before consent to the current notice
    (R-D1); after a withdrawal too (R-D2)."""
    if kind in SENSITIVE_KINDS and await current_consent(user) is None:
        raise FieldError("consent_required", field, version=CURRENT_VERSION)


def require_not_erasing(user: User) -> None:
    """Refuse new processing — a new filing, a renewal, a correction — for someone who asked
    for their data to be deleted: what is kept is restricted to its legal purpose (R-D7)."""
    if user.erasure_requested_at is not None:
        raise Conflict("erasure_requested", "id")


async def state(user: User) -> PrivacyConsent | None:
    """The user's consent as the API shows it: the standing one, else the latest."""
    return await current_consent(user) or \
        await PrivacyConsent.filter(user_id=user.id).order_by("-id").first()


def standing(version: str, withdrawn_at: datetime | None) -> bool:
    """Whether a consent stands: to the current notice version, not withdrawn (R-D1)."""
    return version == CURRENT_VERSION and withdrawn_at is None


@dataclass
class Withdrawal:
    """What a withdrawal deleted at once, and what is kept by law, until when."""

    deleted_drafts: int = 0
    deleted_documents: int = 0
    kept: list[dict[str, Any]] = field(default_factory=list)


async def withdraw(deps: Deps, user: User) -> Withdrawal:
    """Withdraw consent (R-D2): no sensitive upload or OCR from now on; drafts (never
    submitted: nothing requires keeping them) and identity documents on no submitted filing
    are deleted at once; submitted filings are kept until their retention ends (R-D4)."""
    from borderpass.services.privacy import retention

    now = clock.now()
    await PrivacyConsent.filter(user_id=user.id, withdrawn_at__isnull=True) \
        .update(withdrawn_at=now)
    done = Withdrawal()
    for draft in await Filing.filter(applicant_id=user.id, status=FilingStatus.DRAFT):
        if await retention.referenced(draft.id):
            continue
        names = await retention.delete_filing(draft.id)
        if names is not None:
            await retention.drop_files(deps, names)
            done.deleted_drafts += 1
    kept_ids = set(await FilingDocument.filter(document__owner_id=user.id)
                   .values_list("document_id", flat=True))
    loose = await Document.filter(owner_id=user.id, kind__in=list(SENSITIVE_KINDS)) \
        .exclude(id__in=list(kept_ids) or [0])
    for doc in loose:
        async with in_transaction():
            digests = await retention.delete_documents([doc.id])
        done.deleted_documents += len(digests) and 1
        await retention.drop_files(deps, digests)
    for filing in await Filing.filter(applicant_id=user.id).exclude(status=FilingStatus.DRAFT):
        until = retention.kept_until(filing)
        done.kept.append({"filing_id": filing.id, "status": filing.status.value,
                          "plate_number": filing.plate_number, "kept_until": _iso(until)})
    await audit.record(user, "withdraw", "privacy", user.id, deleted_drafts=done.deleted_drafts,
                       deleted_documents=done.deleted_documents, kept=len(done.kept))
    log.info("consent withdrawn", extra={"deleted_drafts": done.deleted_drafts,
                                         "deleted_documents": done.deleted_documents,
                                         "kept_filings": len(done.kept)})
    return done


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
