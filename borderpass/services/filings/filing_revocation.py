"""Revocation of an approved filing by the port office (撤销备案), with who, when and why.

A revoked filing declares nothing more, and a pass issued on it is refused at the lane
(``filing_validity.lane_reason``); its renewal, if any, can no longer be submitted nor
approved (R-F3).
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, FieldError, NotFound
from borderpass.models import Filing, User
from borderpass.models.enums import FilingStatus, Role
from borderpass.services import audit
from borderpass.services.identity.access import require_role

REASON_MAX = 500


async def revoke(reviewer: User, filing_id: int, reason: object) -> Filing:
    """Revoke an approved filing, stating why; audited (R-U7)."""
    require_role(reviewer, Role.REVIEWER, Role.ADMIN)
    if not isinstance(reason, str) or not reason.strip():
        raise FieldError("required", "reason")
    if len(reason) > REASON_MAX:
        raise FieldError("length", "reason", max=REASON_MAX)
    filing = await Filing.get_or_none(id=filing_id)
    if filing is None:
        raise NotFound("filing_not_found", "id")
    async with in_transaction():
        changed = await Filing.filter(id=filing.id, status=FilingStatus.APPROVED).update(
            status=FilingStatus.REVOKED, revoked_reason=reason.strip())
        if not changed:
            raise Conflict("filing_not_revocable", "status", status=filing.status.value)
        await audit.record(reviewer, "update", "filing", filing.id, ["status"],
                           decision="revoked")
    await filing.refresh_from_db()
    return filing
