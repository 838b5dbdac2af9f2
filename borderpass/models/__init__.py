"""Tortoise ORM models only: tables, enums, indexes. No workflow lives here."""

from borderpass.models.chat import ChatPhoto, ChatPhotoRun
from borderpass.models.claims import ReviewClaim
from borderpass.models.credit import CreditCursor, CreditEvent, CreditRecord, FastLaneDecision
from borderpass.models.crossings import Declaration, Trip
from borderpass.models.documents import Document
from borderpass.models.exchange import (
    Agency,
    DeadLetter,
    ExchangeEvent,
    ExchangeTail,
    InboundEvent,
)
from borderpass.models.filings import (
    Filing,
    FilingCommitment,
    FilingDocument,
    FilingDriver,
    OfficialLetter,
)
from borderpass.models.idempotency import IdempotencyRecord
from borderpass.models.keys import DataKey, SubjectKey
from borderpass.models.oversight import AuditEvent, BlacklistEntry
from borderpass.models.ports import Port
from borderpass.models.privacy import DataExport, PrivacyConsent
from borderpass.models.profiles import OrganisationProfile, ProfileChange
from borderpass.models.sessions import LoginLock, UserSession
from borderpass.models.users import User

__all__ = [
    "Agency",
    "AuditEvent",
    "BlacklistEntry",
    "ChatPhoto",
    "ChatPhotoRun",
    "CreditCursor",
    "CreditEvent",
    "CreditRecord",
    "DataExport",
    "DataKey",
    "DeadLetter",
    "Declaration",
    "Document",
    "ExchangeEvent",
    "ExchangeTail",
    "FastLaneDecision",
    "Filing",
    "FilingCommitment",
    "FilingDocument",
    "FilingDriver",
    "IdempotencyRecord",
    "InboundEvent",
    "LoginLock",
    "OfficialLetter",
    "OrganisationProfile",
    "Port",
    "PrivacyConsent",
    "ProfileChange",
    "ReviewClaim",
    "SubjectKey",
    "Trip",
    "User",
    "UserSession",
]
