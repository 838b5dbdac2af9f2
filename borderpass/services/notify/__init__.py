"""Push notifications — 通知: review results, trip deadlines, overstay and list notices.

Every message is an outbox row unique per event (outbox); sweeps derive due reminders from
trips and filings (sweep); other services call the hooks in ``events`` when something
happens; the sender delivers through the user's channels (sender, channels, texts).
"""

from __future__ import annotations

from borderpass.services.notify.events import (
    declaration_accepted,
    filing_reviewed,
    link_official_account,
    record_contact,
    record_grants,
    unit_list_changed,
)

__all__ = [
    "declaration_accepted",
    "filing_reviewed",
    "link_official_account",
    "record_contact",
    "record_grants",
    "unit_list_changed",
]
