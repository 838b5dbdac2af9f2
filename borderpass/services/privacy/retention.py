"""Retention (R-D4): what is kept how long, and the sweep that deletes or anonymises it.

The periods are the table of ``docs/personal-data-lifecycle.md``. Every record is deleted
in its own transaction, so a crash between two leaves each record whole or gone; stored
files go after the commit that released them (a crash there leaves an unreferenced file,
which the orphan pass removes on a later run). Rows are deleted and sealed fields
overwritten; a person's files are also sealed under their subject key, destroyed when their
account is erased (``services/privacy/erasure.py``, R-D7).
Audit rows are never touched here (R-U7: ≥ 6 months; the database refuses younger
deletions of audit rows). What another subdomain keeps for a period is a step the sweeps
pass in (services/sweeps.py: the gate ledger's months, dropped whole on PostgreSQL once
older than ``ledger_keep_days``), run and counted within the same run. A legal hold
(R-D5) — an unlifted blacklist entry or smuggling referral on the filing or its owner, or a
vehicle still abroad — stops it. Credit events go three years after they stop bearing on a
class (`services/credit/expiry.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from borderpass.models import (
    BlacklistEntry,
    DataExport,
    Declaration,
    Document,
    Filing,
    FilingCommitment,
    FilingDocument,
    FilingDriver,
    OfficialLetter,
    Trip,
)
from borderpass.models.enums import FilingStatus, TripStatus
from borderpass.services import audit, clock
from borderpass.services.credit import expiry
from borderpass.services.filings.documents import stored_name
from borderpass.services.ports import Deps

DRAFT_DAYS = 90  # a draft never submitted
ENDED_DAYS = 365  # documents of a returned, expired or revoked filing, after it ended
ORPHAN_GRACE = timedelta(days=1)  # a file written but not yet referenced (an upload under way)
BATCH = 100
MAX_BATCHES = 20  # per kind and run: the next run goes on
EVERY = timedelta(hours=1)
LAST_RUN = "retention:last_run"
ENDED = (FilingStatus.RETURNED, FilingStatus.EXPIRED, FilingStatus.REVOKED,
         FilingStatus.SUPERSEDED)
ANONYMISED = "anonymised_at"
log = logging.getLogger("borderpass.retention")
# Another subdomain's retention, run within a run: (count name, step returning the count).
Step = tuple[str, Callable[[Deps], Awaitable[int]]]


def kept_until(filing: Filing) -> datetime | None:
    """When a submitted filing's personal data is due for anonymisation; None while it is
    under review or in force (kept as long as it is)."""
    ended = {FilingStatus.RETURNED: filing.returned_at, FilingStatus.EXPIRED: filing.expires_at,
             FilingStatus.REVOKED: filing.updated_at}.get(filing.status)
    if filing.status in (FilingStatus.APPROVED, FilingStatus.SUPERSEDED) and filing.expires_at:
        # R-D6: a superseded filing is history of the year it was in force, kept as long
        ended = filing.expires_at  # as that year's records
    return ended + timedelta(days=ENDED_DAYS) if ended else None


async def held(filing: Filing) -> bool:
    """A legal hold (R-D5): an unlifted blacklist entry on the filing or its owner (a
    smuggling referral included), or a trip still open (the vehicle is abroad)."""
    entries = BlacklistEntry.filter(lifted_at__isnull=True)
    if await entries.filter(filing_id=filing.id).exists():
        return True
    if filing.owner_key and await entries.filter(subject_key=filing.owner_key).exists():
        return True
    return await Trip.filter(filing_id=filing.id, status=TripStatus.OPEN).exists()


async def referenced(filing_id: int) -> bool:
    """True when a declaration, a trip, a blacklist entry or a unit membership points at the
    filing: it is not a draft to delete whole."""
    from borderpass.models.units import Membership

    return any([await Declaration.filter(filing_id=filing_id).exists(),
                await Trip.filter(filing_id=filing_id).exists(),
                await BlacklistEntry.filter(filing_id=filing_id).exists(),
                await Membership.filter(filing_id=filing_id).exists()])


async def delete_documents(ids: Iterable[int]) -> list[str]:
    """Delete the documents of ``ids`` that nothing else uses (inside the caller's
    transaction); the digests of their files, to drop after the commit."""
    ids = list(ids)
    if not ids:
        return []
    from borderpass.models.profiles import OrganisationProfile
    from borderpass.models.units import UnitDocument

    used: set[Any] = set()
    for model in (FilingDocument, OfficialLetter, UnitDocument):
        used |= set(await model.filter(document_id__in=ids)
                    .values_list("document_id", flat=True))
    used |= set(await OrganisationProfile.filter(licence_document_id__in=ids)
                .values_list("licence_document_id", flat=True))  # R-P1: a profile's licence
    gone = [i for i in ids if i not in used]
    names = [stored_name(d) for d in await Document.filter(id__in=gone)]
    if not await Document.filter(id__in=gone).delete():
        return []  # a twin deleted them first: its files are its to drop
    return names


async def delete_filing(filing_id: int) -> list[str] | None:
    """Delete a draft whole (its drivers, attachments and the documents only it used), in
    one transaction; the digests of files to drop after it, None when it was gone."""
    async with in_transaction():
        doc_ids: list[Any] = await FilingDocument.filter(filing_id=filing_id) \
            .values_list("document_id", flat=True)
        await FilingDocument.filter(filing_id=filing_id).delete()
        await FilingCommitment.filter(filing_id=filing_id).delete()
        await FilingDriver.filter(filing_id=filing_id).delete()
        if not await Filing.filter(id=filing_id).delete():
            return None  # a twin deleted it first (R-D7: one deletion)
        return await delete_documents(int(i) for i in doc_ids)


async def anonymise_filing(filing_id: int) -> list[str]:
    """Keep an ended filing's vehicle record (plate, VIN: the crossings and the ledger point
    at it) but delete its documents and overwrite every personal field, in one transaction."""
    async with in_transaction():
        filing = await Filing.get(id=filing_id)
        doc_ids: list[Any] = await FilingDocument.filter(filing_id=filing_id) \
            .values_list("document_id", flat=True)
        await FilingDocument.filter(filing_id=filing_id).delete()
        await FilingDriver.filter(filing_id=filing_id).update(
            name="—", phone="", sealed={}, id_key=None, phone_key=None)
        vehicle = {k: v for k, v in filing.data.get("vehicle", {}).items() if k != "owner_name"}
        data: dict[str, Any] = {"vehicle": vehicle, ANONYMISED: clock.now().isoformat()}
        if "organisation" in filing.data:  # a business's record, no person's
            data["organisation"] = filing.data["organisation"]
        filing.data, filing.sealed, filing.owner_key = data, {}, None
        await filing.save(update_fields=["data", "sealed", "owner_key"])
        return await delete_documents(int(i) for i in doc_ids)


async def drop_files(deps: Deps, digests: Iterable[str]) -> int:
    """Remove stored files no document or export refers to any more; how many."""
    dropped = 0
    for digest in set(digests):
        if await _in_use([digest]):
            continue  # the same content uploaded again, by this user or another
        dropped += deps.files.delete(digest)
    return dropped


async def _in_use(names: list[str]) -> set[str]:
    """Which stored names a document (by its subject-sealed name, or by digest when it has
    none: R-D7) or an export still refers to."""
    found: list[Any] = await Document.filter(file_name__in=names) \
        .values_list("file_name", flat=True)
    found += await Document.filter(sha256__in=names, file_name__isnull=True) \
        .values_list("sha256", flat=True)
    found += await DataExport.filter(sha256__in=names).values_list("sha256", flat=True)
    return {str(n) for n in found}


async def _drafts(deps: Deps, counts: dict[str, int]) -> None:
    cutoff, after = clock.now() - timedelta(days=DRAFT_DAYS), 0
    for _ in range(MAX_BATCHES):
        batch: list[Any] = await Filing.filter(status=FilingStatus.DRAFT, updated_at__lt=cutoff,
                                               id__gt=after) \
            .order_by("id").limit(BATCH).values_list("id", flat=True)
        for filing_id in batch:
            after = int(filing_id)
            if await referenced(after):
                continue
            names = await delete_filing(int(filing_id))
            if names is not None:
                counts["files"] += await drop_files(deps, names)
                counts["drafts"] += 1
        if len(batch) < BATCH:
            return


async def _ended(deps: Deps, counts: dict[str, int]) -> None:
    now, after = clock.now(), 0
    for _ in range(MAX_BATCHES):
        batch = await Filing.filter(status__in=list(ENDED), id__gt=after) \
            .order_by("id").limit(BATCH)
        for filing in batch:
            after = filing.id
            until = kept_until(filing)
            if ANONYMISED in filing.data or until is None or until > now:
                continue
            if await held(filing):
                counts["held"] += 1
                continue
            counts["files"] += await drop_files(deps, await anonymise_filing(filing.id))
            counts["anonymised_filings"] += 1
        if len(batch) < BATCH:
            return


async def _exports(deps: Deps, counts: dict[str, int]) -> None:
    for _ in range(MAX_BATCHES):
        batch = await DataExport.filter(expires_at__lt=clock.now()).order_by("id").limit(BATCH)
        for export in batch:
            await DataExport.filter(id=export.id).delete()
            counts["files"] += await drop_files(deps, [export.sha256] if export.sha256 else [])
            counts["exports"] += 1
        if len(batch) < BATCH:
            return


async def _orphans(deps: Deps, counts: dict[str, int]) -> None:
    """Files left unreferenced by a crash between a commit and the file's removal; the
    references are read a batch of digests at a time."""
    cutoff = (clock.now() - ORPHAN_GRACE).timestamp()
    old = [d for d in deps.files.digests()
           if (written := deps.files.modified_at(d)) is not None and written <= cutoff]
    for start in range(0, len(old), 500):
        chunk = old[start:start + 500]
        used = await _in_use(chunk)
        counts["orphan_files"] += await drop_files(deps, [d for d in chunk if d not in used])


async def sweep_due(deps: Deps, *steps: Step) -> dict[str, int]:
    """The retention sweep at most once per ``EVERY`` (the worker's sweeps run each minute;
    retention walks whole tables and the file store), timed by the service clock."""
    now = clock.now().timestamp()
    last = await deps.kv.get(LAST_RUN)
    if last is not None and now - float(last) < EVERY.total_seconds():
        return {}
    await deps.kv.set(LAST_RUN, str(now))
    return await sweep(deps, *steps)


async def sweep(deps: Deps, *steps: Step) -> dict[str, int]:
    """One retention run: abandoned drafts, ended filings past their period, expired
    exports, orphan files, then ``steps``. Idempotent; counts (no personal data) logged and
    audited."""
    counts = dict.fromkeys(("drafts", "anonymised_filings", "exports", "files",
                            "orphan_files", "held", "erased_accounts", "shredded_keys",
                            *(name for name, _ in steps), "credit_events"), 0)
    await _drafts(deps, counts)
    await _ended(deps, counts)
    await _exports(deps, counts)
    await _orphans(deps, counts)
    from borderpass.services.privacy import erasure  # it builds on this module

    counts.update(await erasure.sweep_pending(deps))  # R-D7: deferred erasures, keys
    for name, step in steps:
        counts[name] = await step(deps)
    counts["credit_events"] = await expiry.sweep_expired(clock.now())
    done: dict[str, Any] = {k: v for k, v in counts.items() if v}
    if any(v for k, v in counts.items() if k != "held"):
        await audit.record(None, "delete", "retention", 0, **done)
        log.info("retention sweep", extra={f"retention_{k}": v for k, v in done.items()})
    return counts
