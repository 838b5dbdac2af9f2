"""Agencies as subscribers: registered by an admin with an HTTPS URL, a secret (sealed at
rest, shown once) and the categories of events they are entitled to; their delivery state
(cursor, lag, failures, dead letters) and the replay action."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

from borderpass.core.crypto import FieldCipher
from borderpass.core.errors import FieldError, NotFound
from borderpass.models import Agency, DeadLetter, ExchangeEvent, User
from borderpass.models.enums import Role
from borderpass.services import audit, clock
from borderpass.services.exchange import kinds, log, signing
from borderpass.services.identity.access import require_role

SECRET_CONTEXT = "exchange_agencies.secret"  # associated data of the sealed secret
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")
MAX_BATCH = 500
LAG_COUNT_LIMIT = 100_000  # lag is counted up to this many events


@dataclass(frozen=True)
class Policy:
    """Where subscribers may be: plain http only on loopback, and only when allowed."""

    allow_loopback_http: bool = False


def _admin(user: User | None) -> None:
    """Admins only; None is the operator at the server's shell (``borderpass agency``)."""
    if user is not None:
        require_role(user, Role.ADMIN)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: object, policy: Policy) -> str:
    """An https URL with a host; http only to a loopback address when the policy allows."""
    if not isinstance(value, str) or len(value) > 500:
        raise FieldError("url_invalid", "url")
    parts = urlsplit(value.strip())
    if not parts.hostname or parts.username or parts.password:
        raise FieldError("url_invalid", "url")
    if parts.scheme == "https":
        return value.strip()
    if parts.scheme == "http" and policy.allow_loopback_http and _loopback(parts.hostname):
        return value.strip()
    raise FieldError("url_https_required", "url")


def _types(value: object) -> list[str]:
    if not isinstance(value, list) or not value or \
            any(not isinstance(v, str) or v not in kinds.CATEGORIES for v in value):
        raise FieldError("choice", "event_types", choices=", ".join(kinds.CATEGORIES))
    return sorted(set(value))


def _text(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise FieldError("required", name)
    if len(value) > limit:
        raise FieldError("length", name, max=limit)
    return value.strip()


async def register(user: User | None, body: dict[str, Any], cipher: FieldCipher,
                   policy: Policy) -> tuple[Agency, str]:
    """Register an agency; the agency and its secret (returned this once, kept sealed)."""
    _admin(user)
    code = _text(body, "code", 40).lower()
    if not CODE.match(code):
        raise FieldError("code_invalid", "code")
    name = _text(body, "name", 100)
    kind = body.get("kind")
    if kind not in kinds.AGENCY_KINDS:
        raise FieldError("choice", "kind", choices=", ".join(kinds.AGENCY_KINDS))
    url = check_url(body.get("url"), policy)
    types = _types(body.get("event_types"))
    batch = body.get("batch_size", 1)
    if not isinstance(batch, int) or isinstance(batch, bool) or not 1 <= batch <= MAX_BATCH:
        raise FieldError("range", "batch_size", min=1, max=MAX_BATCH)
    if await Agency.exists(code=code):
        raise FieldError("agency_exists", "code")
    secret = signing.new_secret()
    # A new subscriber starts at the log's end: it gets what happens from now on, and
    # pulls older events by the replay cursor if it wants them.
    last = await log.horizon()
    async with in_transaction():
        agency = await Agency.create(
            code=code, name=name, kind=kind, url=url, event_types=types, batch_size=batch,
            secret_sealed=cipher.encrypt(secret, SECRET_CONTEXT), cursor=last)
        await audit.record(user, "create", "agency", agency.id,
                           ["url", "event_types", "secret"], code=code)
    return agency, secret


def secret_of(agency: Agency, cipher: FieldCipher) -> str:
    """The agency's secret, unsealed (to sign and to check)."""
    return cipher.decrypt(agency.secret_sealed, SECRET_CONTEXT)


async def get(agency_id: int) -> Agency:
    """One agency, else 404."""
    agency = await Agency.get_or_none(id=agency_id)
    if agency is None:
        raise NotFound("agency_not_found", "id")
    return agency


async def set_active(user: User | None, agency_id: int, active: bool) -> Agency:
    """Stop or resume deliveries to (and requests from) an agency."""
    _admin(user)
    agency = await get(agency_id)
    await Agency.filter(id=agency.id).update(active=active)
    await audit.record(user, "update", "agency", agency.id, ["active"], active=active)
    agency.active = active
    return agency


async def replay(user: User | None, agency_id: int, after: object) -> Agency:
    """Deliver again every entitled event after ``after`` (an event id): the cursor moves
    back, the failure state is cleared and dead letters past it are marked replayed."""
    _admin(user)
    agency = await get(agency_id)
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise FieldError("type_integer", "after")
    now = clock.now()
    async with in_transaction():
        await Agency.filter(id=agency.id).update(
            cursor=after, attempts=0, failing_since=None, next_attempt_at=None, last_error="")
        await DeadLetter.filter(agency_id=agency.id, event_id__gt=after,
                                replayed_at=None).update(replayed_at=now)
        await audit.record(user, "update", "agency", agency.id, ["cursor"], replay_after=after)
    return await get(agency.id)


async def lag(agency: Agency) -> int:
    """Entitled events written after the agency's cursor (counted up to a limit)."""
    ids = ExchangeEvent.filter(id__gt=agency.cursor, category__in=agency.event_types) \
        .limit(LAG_COUNT_LIMIT)
    return await ids.count()


@dataclass(frozen=True)
class AgencyState:
    """An agency with what its row does not hold: how far behind it is, its dead letters."""

    agency: Agency
    lag: int
    dead_letters: int


async def state(agency: Agency) -> AgencyState:
    """An agency with its delivery state, as the admin sees it."""
    dead = await DeadLetter.filter(agency_id=agency.id, replayed_at=None).count()
    return AgencyState(agency, await lag(agency), dead)


async def list_all(user: User | None) -> list[AgencyState]:
    """Every agency with its delivery state."""
    _admin(user)
    return [await state(a) for a in await Agency.all().order_by("code")]


async def dead_letters(user: User | None, agency_id: int) -> list[DeadLetter]:
    """An agency's dead letters, newest first."""
    _admin(user)
    return await DeadLetter.filter(agency_id=agency_id).order_by("-id").limit(200)
