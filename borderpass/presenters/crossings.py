"""Crossings as the doors send them: declarations, ports, blacklist entries and
dishonesty records (issue #24). Subjects arrive masked from the service (R-U7)."""

from __future__ import annotations

from typing import Any

from borderpass.models import BlacklistEntry, Declaration
from borderpass.models.units import DishonestyRecord
from borderpass.services import clock
from borderpass.services.crossings import land_ports, pass_tokens, passes


def declaration(d: Declaration, locale: str = "zh_CN") -> dict[str, Any]:
    """The declaration, the port named in the reader's language (land_ports.CACHE read)."""
    return {
        "id": d.id,
        "filing_id": d.filing_id,  # type: ignore[attr-defined]
        "driver_id": d.driver_id,  # type: ignore[attr-defined]
        "direction": d.direction.value,
        "port": d.port,
        "port_name": land_ports.label(d.port, locale),
        "planned_at": d.planned_at.isoformat(),
        "status": d.status.value,
        "created_at": d.created_at.isoformat(),
    }


def port(p: land_ports.PortInfo, locale: str) -> dict[str, Any]:
    """A port, named in the reader's script and in every locale."""
    return {"code": p.code, "name": p.name(locale), "names": dict(p.names),
            "countries": p.countries, "active": p.active}


def pass_(issued: passes.IssuedPass, locale: str) -> dict[str, Any]:
    """A pass as the device receives it, its port named in the holder's language."""
    p = issued.pass_
    return {
        "declaration_id": p.declaration_id,  # type: ignore[attr-defined]
        "kid": p.kid,
        "credential": p.credential,
        "qr_format": f"{pass_tokens.PREFIX} + {pass_tokens.CODE_DIGITS}-digit TOTP code "
                     "+ credential",
        "qr_prefix": pass_tokens.PREFIX,
        "totp": {"algorithm": "SHA1", "digits": pass_tokens.CODE_DIGITS,
                 "period": pass_tokens.STEP, "secret": issued.secret},
        "valid_from": p.valid_from.isoformat(),
        "valid_until": p.valid_until.isoformat(),
        "port": issued.port,
        "port_name": land_ports.label(issued.port, locale),
    }


def blacklist_entry(entry: BlacklistEntry) -> dict[str, Any]:
    """An entry for staff: the subject as its masked label, never the key (R-F9, R-U7)."""
    return {
        "id": entry.id,
        "subject_kind": entry.subject_kind.value,
        "subject": entry.subject_label,
        "reason": entry.reason,
        "filing_id": entry.filing_id,  # type: ignore[attr-defined]
        "trip_id": entry.trip_id,  # type: ignore[attr-defined]
        "created_at": entry.created_at.isoformat(),
        "lifted_at": entry.lifted_at.isoformat() if entry.lifted_at else None,
        "lift_reason": entry.lift_reason,
        "suspected_smuggling": entry.suspected_smuggling,
    }


def dishonesty_record(record: DishonestyRecord) -> dict[str, Any]:
    """A record as the platform sees it: the subject masked, never the key."""
    now = clock.now()
    return {
        "id": record.id, "subject_kind": record.subject_kind.value,
        "subject": record.subject_label, "reason": record.reason,
        "recorded_by": record.recorded_by_id,  # type: ignore[attr-defined]
        "created_at": record.created_at.isoformat(),
        "until": record.until.isoformat() if record.until else None,
        "removed_count": record.removed_count,
        "lifted_at": record.lifted_at.isoformat() if record.lifted_at else None,
        "lift_reason": record.lift_reason,
        "in_force": record.lifted_at is None and (record.until is None or record.until > now),
    }
