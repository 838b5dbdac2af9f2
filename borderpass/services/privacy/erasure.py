"""Deletion on request — 删除个人信息 (PIPL art. 47; R-D7, holds R-D5).

``request`` deletes at once what no law requires keeping — drafts, documents on no
submitted filing, data exports, the profile, notifications, the subject key — and keeps
the rest (submitted filings and their documents) only for its retention period (R-D4),
restricted: consent is withdrawn, so nothing sensitive is processed any more, and the
filings are marked. A legal hold (R-D5: blacklist entry, smuggling referral, vehicle
abroad) or a filing under review or in force defers the erasure of the account itself;
the retention sweep finishes it (``sweep_pending``) once nothing holds it. Idempotent: a
retry or a twin request repeats the answer and deletes nothing twice; one audit row, with
counts and hold codes, never a personal value. What another subdomain deletes at once is
a step the doors pass in (units: the person's live list entries, R-U6), as privacy sits
below units.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.models import (
    BlacklistEntry,
    DataExport,
    Document,
    Filing,
    FilingDocument,
    PrivacyConsent,
    SubjectKey,
    Trip,
    User,
)
from borderpass.models.enums import FilingStatus, TripStatus
from borderpass.models.export import Cancellation, EnterpriseFiling, Licence, LicenceVehicle
from borderpass.models.notify import Notification, Recipient, SubscribeGrant
from borderpass.models.units import DishonestyRecord, Membership
from borderpass.services import audit, clock
from borderpass.services.identity import sessions
from borderpass.services.ports import Deps
from borderpass.services.privacy import retention, subject_keys

# Why a record is kept (the answer names them; the doors translate them).
UNDER_REVIEW, IN_FORCE, RETENTION = "under_review", "in_force", "retention"
BLACKLIST, REFERRAL, OPEN_TRIP = "blacklist", "smuggling_referral", "open_trip"
RESTRICTED = "restricted_at"  # set in a kept filing's data: processing restricted (R-D7)
BATCH = 100
log = logging.getLogger("borderpass.erasure")
# Another subdomain's deletion at once: (count name, step returning how many it deleted).
Step = tuple[str, Callable[[User], Awaitable[int]]]


@dataclass
class Erasure:
    """What a deletion request deleted at once and what is kept, why, until when."""

    requested_at: str
    repeated: bool = False
    deleted: dict[str, int] = field(default_factory=dict)
    kept: list[dict[str, Any]] = field(default_factory=list)
    account_erased: bool = False
    deferred_by: list[str] = field(default_factory=list)


async def holds_of(filing: Filing) -> list[str]:
    """The legal holds on a filing (R-D5), most serious first."""
    found: list[str] = []
    rows = list(await BlacklistEntry.filter(lifted_at__isnull=True, filing_id=filing.id))
    if filing.owner_key:
        rows += await BlacklistEntry.filter(lifted_at__isnull=True,
                                            subject_key=filing.owner_key)
    if any(r.suspected_smuggling for r in rows):
        found.append(REFERRAL)
    if any(not r.suspected_smuggling for r in rows):
        found.append(BLACKLIST)
    if await Trip.filter(filing_id=filing.id, status=TripStatus.OPEN).exists():
        found.append(OPEN_TRIP)
    return found


async def _kept(filing: Filing) -> dict[str, Any]:
    holds = await holds_of(filing)
    reason = {FilingStatus.SUBMITTED: UNDER_REVIEW,
              FilingStatus.APPROVED: IN_FORCE}.get(filing.status, RETENTION)
    until = None if holds else retention.kept_until(filing)
    return {"record": "filing", "id": filing.id, "status": filing.status.value,
            "plate_number": filing.plate_number, "reason": reason, "holds": holds,
            "kept_until": until.isoformat() if until else None}


async def _mark(user: User) -> tuple[bool, Any]:
    """Record the request once (twins: the first wins); (first?, when it was asked)."""
    async with in_transaction():
        row = await User.filter(id=user.id).select_for_update().first()
        assert row is not None
        if row.erasure_requested_at is not None:
            return False, row.erasure_requested_at
        row.erasure_requested_at = clock.now()
        await row.save(update_fields=["erasure_requested_at"])
        # one audit row, committed with the mark: a crash after it cannot lose it, a retry
        # cannot add a second (the counts go to the log: no personal data in either)
        await audit.record(user, "erase", "user", user.id)
        return True, row.erasure_requested_at


async def request(deps: Deps, user: User, *steps: Step) -> Erasure:
    """Delete the user's personal data on their request (R-D7): at once what may go (with
    ``steps``), the rest kept for its period and restricted; the answer lists both."""
    first, asked = await _mark(user)
    done = Erasure(requested_at=asked.isoformat(), repeated=not first)
    await PrivacyConsent.filter(user_id=user.id, withdrawn_at__isnull=True) \
        .update(withdrawn_at=clock.now())  # R-D2: processing of sensitive data stops
    done.deleted = await _delete_free(deps, user)
    for name, step in steps:
        done.deleted[name] = await step(user)
    await _restrict_and_list(user, done)
    if not done.deferred_by:
        done.deleted.update(await _erase_account(deps, user))
        done.account_erased = True
    log.info("personal data erased", extra={
        "erasure_kept": len(done.kept), "erasure_account": done.account_erased,
        "erasure_repeated": done.repeated, "erasure_deferred_by": done.deferred_by,
        **{f"erasure_{k}": v for k, v in done.deleted.items() if v}})
    return done


async def _delete_free(deps: Deps, user: User) -> dict[str, int]:
    """Drafts, documents on no submitted filing and data exports: no law keeps them."""
    counts = {"drafts": 0, "documents": 0, "data_exports": 0, "files": 0}
    for draft in await Filing.filter(applicant_id=user.id, status=FilingStatus.DRAFT):
        if retention.ANONYMISED in draft.data:
            continue
        if await retention.referenced(draft.id):  # a unit list or a crossing points at it:
            if not await holds_of(draft):  # the vehicle record stays, the person goes
                counts["files"] += await retention.drop_files(
                    deps, await retention.anonymise_filing(draft.id))
                counts["drafts"] += 1
            continue
        names = await retention.delete_filing(draft.id)
        if names is not None:  # None: a twin request deleted it first
            counts["files"] += await retention.drop_files(deps, names)
            counts["drafts"] += 1
    kept_ids = await _documents_in_records(user.id)
    for doc in await Document.filter(owner_id=user.id).exclude(id__in=list(kept_ids) or [0]):
        async with in_transaction():
            names = await retention.delete_documents([doc.id])
        counts["documents"] += bool(names)
        counts["files"] += await retention.drop_files(deps, names)
    for export in await DataExport.filter(user_id=user.id):
        if not await DataExport.filter(id=export.id).delete():
            continue
        counts["files"] += await retention.drop_files(deps, [export.sha256] if export.sha256
                                                      else [])
        counts["data_exports"] += 1
    return counts


async def _documents_in_records(user_id: int) -> set[Any]:
    """The person's documents a kept record refers to: filings (R-D4), and the export
    records that name documents by id (enterprise filings, licences, certificates,
    cancellations: the enterprise's records, kept)."""
    mine: list[Any] = await Document.filter(owner_id=user_id).values_list("id", flat=True)
    kept: set[Any] = set(await FilingDocument.filter(document_id__in=mine or [0])
                         .values_list("document_id", flat=True))
    for model in (EnterpriseFiling, Licence):
        for named in await model.filter(applicant_id=user_id).values_list("documents", flat=True):
            kept |= {v for v in (named or {}).values() if isinstance(v, int)}  # type: ignore[union-attr]
    kept |= set(await LicenceVehicle.filter(certificate_document_id__in=mine or [0])
                .values_list("certificate_document_id", flat=True))
    kept |= set(await Cancellation.filter(document_id__in=mine or [0])
                .values_list("document_id", flat=True))
    return kept


async def _restrict_and_list(user: User, done: Erasure) -> None:
    """Mark every kept filing restricted and say why it is kept, until when."""
    stamp = done.requested_at
    for filing in await Filing.filter(applicant_id=user.id).exclude(status=FilingStatus.DRAFT) \
            .order_by("id"):
        kept = await _kept(filing)
        if retention.ANONYMISED in filing.data:
            continue  # nothing personal left on it
        done.kept.append(kept)
        if RESTRICTED not in filing.data:
            await Filing.filter(id=filing.id).update(data={**filing.data, RESTRICTED: stamp})
        for reason in ([kept["reason"]] if kept["reason"] != RETENTION else []) + kept["holds"]:
            if reason not in done.deferred_by:
                done.deferred_by.append(reason)
    for draft in await Filing.filter(applicant_id=user.id, status=FilingStatus.DRAFT):
        if retention.ANONYMISED in draft.data:
            continue
        # a draft under a hold (R-D5) that a declaration, trip or list points at
        holds = await holds_of(draft)
        done.kept.append({"record": "filing", "id": draft.id, "status": draft.status.value,
                          "plate_number": draft.plate_number, "reason": RETENTION,
                          "holds": holds, "kept_until": None})
        done.deferred_by += [h for h in holds if h not in done.deferred_by]


async def _erase_account(deps: Deps, user: User) -> dict[str, int]:
    """The account itself once nothing holds it: profile emptied, WeChat ids and sessions
    dropped, notifications deleted; the subject key destroyed once no kept document needs
    it (then every copy of the person's files, backups included, stays sealed)."""
    counts = {"notifications": await Notification.filter(user_id=user.id).delete(),
              "unit_entries_anonymised": await _anonymise_entries(user.id)}
    await SubscribeGrant.filter(user_id=user.id).delete()
    await Recipient.filter(user_id=user.id).delete()
    counts["sessions"] = await sessions.revoke_user(deps, user.id)
    await User.filter(id=user.id).update(
        display_name="", phone=None, sealed={}, phone_key=None, timezone=None, openid=None,
        unionid=None, is_active=False, erased_at=clock.now())
    counts["subject_key"] = int(await _shred(user.id))
    return counts


async def _anonymise_entries(user_id: int) -> int:
    """The person's (removed) entries on unit lists keep their history — which unit, which
    vehicle, when — without the person: name, phone, sealed numbers and keys dropped.
    An entry under a dishonesty record (R-D5) keeps its key: the record needs it."""
    held: set[Any] = set(await DishonestyRecord.filter(lifted_at__isnull=True)
                         .values_list("subject_key", flat=True))
    done = 0
    for member in await Membership.filter(user_id=user_id).exclude(person_name="—"):
        if member.person_key in held:
            continue
        done += await Membership.filter(id=member.id).update(
            person_name="—", phone="", sealed={}, phone_key=None,
            person_key=f"erased:{member.id}")
    return done


async def _shred(user_id: int) -> bool:
    """Destroy the subject key when no kept document still needs it."""
    if await Document.filter(owner_id=user_id, file_name__isnull=False).exists():
        return False
    return await subject_keys.destroy(user_id)


async def sweep_pending(deps: Deps) -> dict[str, int]:
    """Finish deferred erasures whose holds have ended, and destroy subject keys once the
    retention sweep has anonymised the last kept filing (the retention sweep)."""
    counts = {"erased_accounts": 0, "shredded_keys": 0}
    for user in await User.filter(erasure_requested_at__isnull=False, erased_at__isnull=True) \
            .order_by("id").limit(BATCH):
        done = Erasure(requested_at=user.erasure_requested_at.isoformat())  # type: ignore[union-attr]
        await _restrict_and_list(user, done)
        if not done.deferred_by:
            await _erase_account(deps, user)
            counts["erased_accounts"] += 1
    keyed: list[Any] = await SubjectKey.all().values_list("user_id", flat=True)
    for start in range(0, len(keyed), BATCH):
        erased: list[Any] = await User.filter(id__in=keyed[start:start + BATCH],
                                              erased_at__isnull=False).values_list("id", flat=True)
        for user_id in erased:
            counts["shredded_keys"] += await _shred(int(user_id))
    return counts
