"""Access and portability (PIPL art. 45; R-D3): a copy of everything held about a user.

``request`` queues a job (audited); the worker's sweep ``build_pending`` writes one zip —
``data.json`` and the user's document images — into the sealed file store and queues a
message that it is ready. Only the user fetches it (``fetch``, audited), until it expires;
the retention sweep then deletes it. Another person's data is left out: other drivers on the
user's filings appear masked, and only documents the user uploaded are included.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from borderpass.core.crypto import CryptoError
from borderpass.core.errors import Conflict, NotFound
from borderpass.models import (
    AuditEvent,
    DataExport,
    Declaration,
    Document,
    Filing,
    FilingCommitment,
    PrivacyConsent,
    Trip,
    User,
)
from borderpass.models.notify import Notification
from borderpass.presenters import filings as present
from borderpass.services import audit, clock
from borderpass.services.credit import view as credit_view
from borderpass.services.filings import documents, filing_reveal, filings
from borderpass.services.identity import phones
from borderpass.services.notify import kinds
from borderpass.services.notify.outbox import Intent, enqueue
from borderpass.services.ports import Deps
from borderpass.services.privacy import data_export_orgs, privacy, subject_keys
from borderpass.services.validators import found

KEEP = timedelta(days=7)  # a ready export can be fetched this long
PENDING, READY, FAILED = "pending", "ready", "failed"
BUILD_BATCH = 20
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
log = logging.getLogger("borderpass.data_export")


async def request(user: User) -> DataExport:
    """Queue an export of the user's data (one pending at a time); audited (R-D3)."""
    pending = await DataExport.filter(user_id=user.id, status=PENDING).first()
    if pending is not None:
        return pending
    job = await DataExport.create(user=user, locale=user.locale, requested_at=clock.now())
    await audit.record(user, "export", "user", user.id, export_id=job.id)
    return job


async def own(user: User, export_id: int) -> DataExport:
    """The user's own export; anyone else's is 404 (its existence is not revealed)."""
    job = found(await DataExport.get_or_none(id=export_id, user_id=user.id), "export_not_found")
    return job


async def fetch(deps: Deps, user: User, export_id: int) -> bytes:
    """The zip of a ready export of the user's own, before it expires; audited."""
    job = await own(user, export_id)
    if job.status != READY or job.sha256 is None:
        raise Conflict("export_not_ready", "id")
    if job.expires_at is not None and job.expires_at <= clock.now():
        raise NotFound("export_not_found", "id")
    subject = await subject_keys.cipher_of(deps, user.id)
    try:
        data = deps.files.get(job.sha256, subject)
    except (FileNotFoundError, CryptoError) as exc:
        raise NotFound("export_not_found", "id") from exc
    await audit.record(user, "download", "data_export", job.id)
    return data


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


async def collect(deps: Deps, user: User) -> tuple[dict[str, Any], list[Document]]:
    """Everything held about ``user`` as JSON, and their documents (files added by the zip)."""
    profile = {"id": user.id, "display_name": user.display_name, "locale": user.locale,
               "timezone": user.timezone, "roles": list(user.roles),
               "phone": phones.read(deps, user.sealed, "phone", "user.phone", user.phone),
               "created_at": _iso(user.created_at)}
    own_filings = await Filing.filter(applicant_id=user.id).order_by("id")
    shown = [present.filing(await filings.view(deps, f), user.locale) for f in own_filings]
    docs = await Document.filter(owner_id=user.id).order_by("id")
    filing_ids = [f.id for f in own_filings]
    data: dict[str, Any] = {
        "format": "borderpass.personal-data.v1",
        "generated_at": clock.now().isoformat(),
        "user": profile,
        "privacy_consents": [
            {"consented": privacy.standing(c["version"], c["withdrawn_at"]),
             "current_version": privacy.CURRENT_VERSION, **c}
            for c in await PrivacyConsent.filter(user_id=user.id).order_by("id").values(
                "version", "locale", "text_sha256", "channel", "given_at", "withdrawn_at")],
        "filings": shown,
        "credit": [{"filings": c.filings, **asdict(c.party)}  # R-P2: record, class, reasons
                   for c in await credit_view.own(user)],
        "filing_commitments": [
            {"filing_id": c.filing_id, "kind": c.kind, "version": c.version,  # type: ignore[attr-defined]
             "locale": c.locale, "text_sha256": c.text_sha256, "channel": c.channel,
             "signed_at": _iso(c.signed_at)}
            for c in await FilingCommitment.filter(signed_by_id=user.id).order_by("id")],
        "documents": [
            {"id": d.id, "kind": d.kind, "mime": d.mime, "size": d.size, "sha256": d.sha256,
             "created_at": _iso(d.created_at), "file": _file_name(d),
             "ocr": filing_reveal.masked_reading(documents.reading_of(deps, d))}
            for d in docs],
        "declarations": await Declaration.filter(declared_by_id=user.id).order_by("id").values(
            "id", "filing_id", "direction", "port", "planned_at", "status", "created_at"),
        "trips": await Trip.filter(filing_id__in=filing_ids or [0]).order_by("id").values(
            "id", "filing_id", "status", "exited_at", "deadline", "returned_at"),
        "notifications": await Notification.filter(user_id=user.id).order_by("id").values(
            "id", "kind", "status", "created_at"),
        # who read or changed the user's filings (R-U7): actions and fields, not staff names
        "accesses": await AuditEvent.filter(subject_type="filing",
                                            subject_id__in=filing_ids or [0])
        .order_by("id").values("action", "subject_id", "field_names", "at"),
        **await data_export_orgs.collect(deps, user),  # units and export enterprises
    }
    return _plain(data), list(docs)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, int | str):
        return value.value
    return _iso(value)


def _file_name(doc: Document) -> str:
    return f"documents/{doc.id}-{doc.kind}.{EXTENSIONS.get(doc.mime, 'bin')}"


async def build(deps: Deps, job: DataExport) -> DataExport:
    """Write the export's zip into the file store, mark it ready and queue its message."""
    user = await User.get(id=job.user_id)  # type: ignore[attr-defined]
    data, docs = await collect(deps, user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for doc in docs:
            try:
                archive.writestr(_file_name(doc), await documents.read_file(deps, doc))
            except (FileNotFoundError, CryptoError):
                continue
    blob = buffer.getvalue()
    now = clock.now()
    # R-D7: the zip holds the person's images in clear, so it is sealed under their key
    name = deps.files.put_subject(blob, await subject_keys.ensure(deps, user.id))
    job.sha256, job.size, job.status = name, len(blob), READY
    job.ready_at, job.expires_at = now, now + KEEP
    await job.save(update_fields=["sha256", "size", "status", "ready_at", "expires_at"])
    await enqueue([Intent(f"data_export:{job.id}", user.id, kinds.DATA_EXPORT_READY,
                          job.locale, {"export_id": job.id,
                                       "expires_at": job.expires_at.isoformat()})])
    return job


async def build_pending(deps: Deps) -> int:
    """Build queued exports (the worker's sweep); how many were built."""
    built = 0
    for job in await DataExport.filter(status=PENDING).order_by("id").limit(BUILD_BATCH):
        await build(deps, job)
        built += 1
    if built:
        log.info("data exports built", extra={"data_exports": built})
    return built
