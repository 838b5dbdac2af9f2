"""Privacy as the API shows it: the consent state (R-D1) and a data-export job (R-D3).

The export's file (``data.json`` in the zip) is not here: it is built by the worker, with
no door on the path, and its versioned format is the privacy service's
(services/privacy/data_export.py)."""

from __future__ import annotations

from typing import Any

from borderpass.models import DataExport, PrivacyConsent
from borderpass.services.privacy import data_export, erasure, privacy


def consent(row: PrivacyConsent | None) -> dict[str, Any]:
    """The consent state: the standing consent, else the latest, else none given."""
    if row is None:
        return {"consented": False, "current_version": privacy.CURRENT_VERSION}
    return {"consented": privacy.standing(row.version, row.withdrawn_at),
            "current_version": privacy.CURRENT_VERSION, "version": row.version,
            "locale": row.locale, "text_sha256": row.text_sha256,
            "channel": row.channel, "given_at": row.given_at.isoformat(),
            "withdrawn_at": row.withdrawn_at.isoformat() if row.withdrawn_at else None}


def export_job(job: DataExport) -> dict[str, Any]:
    """A data-export job, with the address of its file once it is ready."""
    return {"id": job.id, "status": job.status, "requested_at": job.requested_at.isoformat(),
            "ready_at": job.ready_at.isoformat() if job.ready_at else None,
            "expires_at": job.expires_at.isoformat() if job.expires_at else None,
            "size": job.size,
            "file": f"/api/v1/me/data/{job.id}/file" if job.status == data_export.READY
            else None}


def withdrawal(done: privacy.Withdrawal) -> dict[str, Any]:
    """What a withdrawal of consent deleted at once, and what is kept, until when (R-D2)."""
    return {"deleted_drafts": done.deleted_drafts,
            "deleted_documents": done.deleted_documents, "kept": done.kept}


def erasure_request(done: erasure.Erasure) -> dict[str, Any]:
    """What a deletion request deleted at once and what is kept, why, until when (R-D7)."""
    return {"requested_at": done.requested_at, "repeated": done.repeated,
            "deleted": done.deleted, "kept": done.kept,
            "account_erased": done.account_erased, "deferred_by": done.deferred_by}
