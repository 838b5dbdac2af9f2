"""Vehicle export as the API and the console show it: enterprise filings with their review
clock (R-E1), licences with their issuance clock (R-E5), members, and an enterprise's
summary (R-E7)."""

from __future__ import annotations

from typing import Any

from borderpass.core.masking import mask_phone
from borderpass.services.export.enterprises import REVIEW_WORKING_DAYS, ExportFilingView
from borderpass.services.export.licences import ISSUE_WORKING_DAYS, LicenceView
from borderpass.services.export.members import Colleague
from borderpass.services.export.summary import EnterpriseSummary


def enterprise_filing(view: ExportFilingView) -> dict[str, Any]:
    """A filing with its working-day review clock (R-E1); the contact phone masked (R-U7)."""
    filing = view.filing
    return {
        "id": filing.id,
        "enterprise_id": filing.enterprise.id,
        "uscc": filing.enterprise.uscc,
        "filing_kind": filing.kind.value,
        "status": filing.status.value,
        **filing.data,
        "contact_phone": mask_phone(view.contact_phone),  # R-U7
        "documents": filing.documents,
        "submitted_at": filing.submitted_at.isoformat(),
        "review_due_at": filing.review_due_at.isoformat(),
        "working_days_waited": view.working_days_waited,
        "target_working_days": REVIEW_WORKING_DAYS,
        "overdue": view.overdue,
        "refusal_reasons": filing.refusal_reasons,
        "approved_at": _iso(filing.approved_at),
        "expires_at": _iso(filing.expires_at),
        "in_force": view.in_force,
    }


def licence(view: LicenceView) -> dict[str, Any]:
    """A licence with its vehicles and issuance clock (R-E5)."""
    row = view.licence
    return {
        "id": row.id, "number": row.number, "status": row.status.value,
        "enterprise_id": row.enterprise_id,  # type: ignore[attr-defined]
        "exporter": row.exporter, "consignor": row.consignor,
        "goods_state": row.goods_state, "commodity_code": row.commodity_code,
        "destination": row.destination, "customs_zone": row.customs_zone,
        "vehicle_count": row.vehicle_count, "documents": row.documents,
        "vehicles": [{"vin": v.vin, "brand": v.brand, "model": v.model, "state": v.state.value,
                      "certificate_number": v.certificate_number,
                      "cancel_due_at": _iso(v.cancel_due_at)}
                     for v in sorted(row.vehicles, key=lambda v: v.position)],
        "submitted_at": row.submitted_at.isoformat(),
        "issue_due_at": row.issue_due_at.isoformat(),
        "issued_at": _iso(row.issued_at),
        "working_days_to_issue": view.working_days_to_issue,
        "target_working_days": ISSUE_WORKING_DAYS,
        "refusal_reasons": row.refusal_reasons,
        "declaration_number": row.declaration_number or None,
        "cleared_at": _iso(row.cleared_at),
        "cleared_count": row.cleared_count,
        "return_by": _iso(row.return_by),
    }


def member(colleague: Colleague) -> dict[str, Any]:
    """A member as colleagues see them: display name and the phone masked (R-U7)."""
    row = colleague.member
    return {"id": row.id, "user_id": row.user.id, "display_name": row.user.display_name,
            "phone": mask_phone(colleague.phone),
            "is_contact": row.is_contact, "created_at": row.created_at.isoformat()}


def enterprise(summary: EnterpriseSummary) -> dict[str, Any]:
    """Filing in force (R-E1), lock with the overdue VINs and pending cancellations (R-E7)."""
    row, filing = summary.enterprise, summary.filing
    return {
        "id": row.id, "uscc": row.uscc, "name": row.name,
        "filing_in_force": filing is not None,
        "filing_id": filing.id if filing else None,
        "filing_expires_at": _iso(summary.expiry),
        "locked": bool(summary.overdue_vins), "overdue_vins": summary.overdue_vins,
        "pending_cancellations": summary.pending_cancellations,
        "licences_to_return": summary.licences_to_return,  # R-E3
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None
