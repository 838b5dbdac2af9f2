"""Enumerations shared by models and services."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user may do; a user can hold several roles."""

    DRIVER = "driver"
    UNIT_ADMIN = "unit_admin"
    REVIEWER = "reviewer"
    CUSTOMS = "customs"
    GATE_SUPERVISOR = "gate_supervisor"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.REVIEWER, Role.CUSTOMS, Role.GATE_SUPERVISOR, Role.ADMIN})


class FilingCategory(StrEnum):
    """R-F1: personal self-use (个人自用), business (商务), official (公务)."""

    PERSONAL = "personal"
    BUSINESS = "business"
    OFFICIAL = "official"


class FilingStatus(StrEnum):
    """draft → submitted → approved | returned → submitted …; approved → expired | revoked
    | superseded (by its approved correction, R-D6: kept as history, no longer live)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class LetterStatus(StrEnum):
    """An official letter (单位公函) awaiting, passing or failing port-office approval."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class Direction(StrEnum):
    """Which way a declaration crosses the border."""

    EXIT = "exit"
    ENTRY = "entry"


class DeclarationStatus(StrEnum):
    """An accepted declaration may be used at the lane once, or cancelled before."""

    APPROVED = "approved"
    USED = "used"
    CANCELLED = "cancelled"


class TripStatus(StrEnum):
    """A trip opens on exit and closes on entry."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class SubjectKind(StrEnum):
    """Who a blacklist entry names: a person (by identity number) or an organisation."""

    PERSON = "person"
    ORGANISATION = "organisation"
