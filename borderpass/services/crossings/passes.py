"""Passes — 通行码: issued for an approved declaration, revoked when it is cancelled or the
owner is blacklisted (R-F7, R-F9); the secret behind the rotating code is delivered once.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tortoise.exceptions import IntegrityError

from borderpass.adapters import constraints
from borderpass.core.errors import Conflict, Forbidden
from borderpass.models import Declaration, Filing, User
from borderpass.models.enums import DeclarationStatus, Direction
from borderpass.models.gate import Pass
from borderpass.services import clock
from borderpass.services.crossings import (
    declarations,
    land_ports,
    pass_claims,
    pass_tokens,
)
from borderpass.services.crossings.pass_claims import VALID_AFTER, VALID_BEFORE
from borderpass.services.crossings.pass_tokens import Credential
from borderpass.services.filings import subjects
from borderpass.services.ports import Deps

SECRET_BYTES = 20


class Signer(Protocol):
    """The gate's key ring as a pass needs it: the active signing key."""

    async def signer(self) -> tuple[str, Ed25519PrivateKey]: ...


class Issuer(Protocol):
    """What issuing a pass needs of the gate (``gate.gate_context.GateDeps`` has it): the
    signing key and the field cipher. The gate depends on passes, not the other way."""

    @property
    def deps(self) -> Deps: ...

    @property
    def keys(self) -> Signer: ...


def _secret_context(declaration_id: int) -> str:
    return f"gate.pass_secret:{declaration_id}"


async def _revoke(p: Pass | None, reason: str) -> None:
    if p is not None and p.revoked_at is None:
        await Pass.filter(id=p.id, revoked_at=None).update(revoked_at=clock.now(),
                                                           revoked_reason=reason)


async def _usable(gate: Issuer, declaration: Declaration, existing: Pass | None) -> None:
    """Refuse a pass for a cancelled or used declaration, or a blacklisted owner's exit
    (R-F9: the way home stays open; the entry lane holds the vehicle for inspection)."""
    if declaration.status is DeclarationStatus.USED or await pass_claims.crossed(
            declaration.id, declaration.direction.value):  # R-G2
        raise Conflict("pass_used", "id")
    if declaration.status is DeclarationStatus.CANCELLED:
        await _revoke(existing, "declaration_cancelled")
        raise Conflict("pass_revoked", "id")
    filing, driver = declaration.filing, await declaration.driver
    if declaration.direction is Direction.EXIT and \
            await subjects.active_entry([filing.owner_key, driver.id_key]):
        await _revoke(existing, "blacklisted")
        raise Forbidden("pass_blacklisted", "id")


async def build(gate: Issuer, declaration: Declaration, filing: Filing) -> Pass:
    """A new, unsaved pass: credential signed with the active key, secret sealed."""
    kid, key = await gate.keys.signer()
    cred = Credential(
        kid=kid, declaration_id=declaration.id, plate=filing.plate_number or "",
        direction=declaration.direction.value, port=declaration.port,
        category=filing.category.value,
        valid_from=declaration.planned_at - VALID_BEFORE,
        valid_until=declaration.planned_at + VALID_AFTER)
    secret = secrets.token_bytes(SECRET_BYTES)
    return Pass(
        declaration_id=declaration.id, kid=kid,
        credential=pass_tokens.encode_credential(cred, key),
        secret_sealed=gate.deps.cipher.encrypt(base64.b64encode(secret).decode(),
                                               _secret_context(declaration.id)),
        valid_from=cred.valid_from, valid_until=cred.valid_until)


_ONE_PASS = f"{Pass._meta.db_table}_declaration_id_key"  # one pass per declaration


async def _create(gate: Issuer, declaration: Declaration) -> Pass:
    fresh = await build(gate, declaration, declaration.filing)
    try:
        await fresh.save()
        return fresh
    except IntegrityError as exc:
        if not await constraints.violates(exc, _ONE_PASS):
            raise
        return await Pass.get(declaration_id=declaration.id)  # a concurrent twin issued it


def secret_of(gate: Issuer, p: Pass | str, declaration_id: int) -> bytes:
    """The per-pass TOTP secret, unsealed."""
    sealed = p if isinstance(p, str) else p.secret_sealed
    return base64.b64decode(gate.deps.cipher.decrypt(sealed, _secret_context(declaration_id)))


async def _own_pass(gate: Issuer, user: User, declaration_id: int) -> tuple[Declaration, Pass]:
    declaration = await declarations.visible(user, declaration_id)  # others get 404
    existing = await Pass.get_or_none(declaration_id=declaration.id)
    await _usable(gate, declaration, existing)
    return declaration, existing or await _create(gate, declaration)


@dataclass(frozen=True)
class IssuedPass:
    """A pass as handed to its holder's device: the TOTP secret (base32) on first delivery
    or after a rotation only, else None; the port's names are read (land_ports.CACHE)."""

    pass_: Pass
    secret: str | None
    port: str


async def issue(gate: Issuer, user: User, declaration_id: int) -> IssuedPass:
    """The pass for the owner's device: credential, and the secret on first delivery only."""
    declaration, p = await _own_pass(gate, user, declaration_id)
    delivered = await Pass.filter(id=p.id, secret_delivered_at=None) \
        .update(secret_delivered_at=clock.now())
    await land_ports.CACHE.get()  # the port's name, in the holder's language (issue 26)
    return IssuedPass(p, pass_tokens.secret_b32(secret_of(gate, p, declaration.id))
                      if delivered else None, declaration.port)


async def rotate_secret(gate: Issuer, user: User, declaration_id: int) -> IssuedPass:
    """A new secret for a new phone; codes from the old secret stop working at once."""
    declaration, p = await _own_pass(gate, user, declaration_id)
    secret = secrets.token_bytes(SECRET_BYTES)
    sealed = gate.deps.cipher.encrypt(base64.b64encode(secret).decode(),
                                      _secret_context(declaration.id))
    await Pass.filter(id=p.id).update(secret_sealed=sealed, secret_delivered_at=clock.now())
    await land_ports.CACHE.get()
    return IssuedPass(p, pass_tokens.secret_b32(secret), declaration.port)


async def current_qr(gate: Issuer, user: User, declaration_id: int) -> str:
    """The QR text of this moment, for chat users who cannot run the rotating code."""
    declaration, p = await _own_pass(gate, user, declaration_id)
    code = pass_tokens.current_code(secret_of(gate, p, declaration.id), clock.now())
    return pass_tokens.qr_text(p.credential, code)
