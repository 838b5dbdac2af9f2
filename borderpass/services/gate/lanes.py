"""The lanes registry (R-G1): port, type, direction, accepted passes, languages, credential.

A lane's credential is a random token shown once; only its HMAC (keyed by the data key)
is stored, and it is compared in constant time.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Sequence
from typing import Any

from borderpass.core.errors import Conflict, FieldError, FieldErrors, NotFound, Unauthorized
from borderpass.core.i18n import LOCALES
from borderpass.models.gate import Lane, LaneType
from borderpass.services.crossings import land_ports
from borderpass.services.ports import Deps

# R-G1: which passes each lane type may release, and who controls it.
LANE_RULES: dict[LaneType, tuple[frozenset[str], str]] = {
    LaneType.BONDED_GOODS: (frozenset({"business"}), "customs"),
    LaneType.ECOMMERCE_9610: (frozenset({"business"}), "customs"),
    LaneType.NON_BONDED_GOODS: (frozenset({"business"}), "park"),
    LaneType.ADMINISTRATIVE: (frozenset({"official", "business", "personal"}), "park"),
    LaneType.PEOPLE: (frozenset({"personal", "official"}), "customs"),
    # R-G8: vehicles on the credit pass list by plate; a declared pass of any category too.
    LaneType.SECOND_LINE: (frozenset({"official", "business", "personal"}), "customs"),
}
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
CACHE_TTL = 5.0  # seconds a process trusts its copy of a lane row


def _hash(deps: Deps, token: str) -> str:
    # Tokens are upper-case hex, so blind_index's normalisation keeps them intact.
    return deps.cipher.blind_index(token, "gate.lane_credential")


def _check(body: dict[str, Any], ports: land_ports.Snapshot,
           ) -> tuple[str, str, LaneType, str, list[str], list[str]]:
    errors: list[FieldError] = []
    code = body.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        errors.append(FieldError("lane_code_format", "code"))
    port = ports.find(body.get("port"))  # a lane stands at an active port of the table
    if port is None or not port.active:
        errors.append(FieldError("choice", "port",
                                 choices=", ".join(p.code for p in ports.active())))
    try:
        lane_type = LaneType(str(body.get("lane_type")))
    except ValueError:
        lane_type = LaneType.PEOPLE
        errors.append(FieldError("choice", "lane_type", choices=", ".join(LaneType)))
    direction = body.get("direction")
    if direction not in ("exit", "entry"):
        errors.append(FieldError("choice", "direction", choices="exit, entry"))
    allowed = LANE_RULES[lane_type][0]
    accepts = body.get("accepts") or sorted(allowed)
    if not isinstance(accepts, list) or not set(accepts) <= allowed:
        errors.append(FieldError("lane_accepts", "accepts", allowed=", ".join(sorted(allowed))))
    languages = body.get("languages") or ["zh_CN"]
    if not isinstance(languages, list) or not languages or not set(languages) <= set(LOCALES):
        errors.append(FieldError("choice", "languages", choices=", ".join(LOCALES)))
    if errors:
        raise FieldErrors(errors)
    assert port is not None
    return str(code), port.code, lane_type, str(direction), list(accepts), list(languages)


async def create(deps: Deps, body: dict[str, Any]) -> tuple[Lane, str]:
    """Register a lane; returns it and its credential (shown once, stored only hashed)."""
    ports = await land_ports.CACHE.get(body.get("port"))
    code, port, lane_type, direction, accepts, languages = _check(body, ports)
    if await Lane.filter(code=code).exists():
        raise Conflict("lane_exists", "code")
    token = secrets.token_hex(24).upper()
    lane = await Lane.create(code=code, port=port, lane_type=lane_type, direction=direction,
                             accepts=accepts, languages=languages,
                             credential_hash=_hash(deps, token))
    return lane, token


async def reset_credential(deps: Deps, code: str) -> str:
    """A new credential for a lane; the old one stops working at once."""
    token = secrets.token_hex(24).upper()
    if not await Lane.filter(code=code).update(credential_hash=_hash(deps, token)):
        raise NotFound("lane_not_found", "lane")
    return token


class LaneCache:
    """Lane rows by code, kept CACHE_TTL seconds so a scan costs no lane query."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[Lane | None, float]] = {}

    async def get(self, code: str) -> Lane | None:
        """The lane of ``code`` (active or not), or None."""
        hit = self._rows.get(code)
        if hit and time.monotonic() - hit[1] < CACHE_TTL:
            return hit[0]
        lane = await Lane.get_or_none(code=code) if CODE_RE.match(code) else None
        self._rows[code] = (lane, time.monotonic())
        return lane

    def forget(self, code: str | None = None) -> None:
        """Drop one cached lane, or all."""
        if code is None:
            self._rows.clear()
        else:
            self._rows.pop(code, None)


async def authenticate(deps: Deps, cache: LaneCache, code: object, token: object) -> Lane:
    """The active lane whose credential is ``token``; Unauthorized otherwise."""
    if not isinstance(code, str) or not isinstance(token, str) or len(token) > 200 \
            or not (code.isascii() and code.isprintable() and len(code) <= 40):
        raise Unauthorized("lane_credentials", "lane")  # a code no lane row could hold
    lane = await cache.get(code)
    expected = lane.credential_hash if lane is not None else "0" * 64
    given = _hash(deps, token)
    if not hmac.compare_digest(expected, given) or lane is None or not lane.active:
        raise Unauthorized("lane_credentials", "lane")
    return lane


async def all_lanes(codes: Sequence[str] = ()) -> list[Lane]:
    """Every lane, or those named."""
    query = Lane.all() if not codes else Lane.filter(code__in=list(codes))
    return await query.order_by("code")
