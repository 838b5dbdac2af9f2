"""The audit trail: every staff read or change of personal data is recorded (R-U7)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from borderpass.models import AuditEvent, User


async def record(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: int,
    field_names: Sequence[str] = (),
    **detail: Any,
) -> None:
    """Append one audit event (R-U7)."""
    await AuditEvent.create(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        field_names=list(field_names),
        detail=detail,
    )
