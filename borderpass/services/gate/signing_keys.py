"""Pass-signing keys: Ed25519, rotated by key id, private halves sealed with the data key.

A new key is random (not derived from the data key), so keys rotate and retire without
touching the data key; its private half is stored AES-GCM-sealed by ``Deps.cipher`` with
the key id as associated data. Verifying keys stay cached in the process.
"""

from __future__ import annotations

import base64
import secrets
import string
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from tortoise.transactions import in_transaction

from borderpass.core.errors import Conflict, NotFound
from borderpass.models.gate import SigningKey
from borderpass.services import clock
from borderpass.services.ports import Deps

_KID_ALPHABET = string.ascii_uppercase + string.digits
SIGNER_TTL = 30.0  # seconds a process keeps using its cached signing key
MISS_BACKOFF = 1.0  # seconds between reloads for an unknown key id (forged kids)


def _context(kid: str) -> str:
    return f"gate.signing_key:{kid}"


class KeyRing:
    """The signing key in use and every verifying key, loaded lazily and cached."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._signer: tuple[str, Ed25519PrivateKey, float] | None = None
        self._public: dict[str, Ed25519PublicKey] = {}
        self._last_load = 0.0

    async def signer(self) -> tuple[str, Ed25519PrivateKey]:
        """The active key (created on first use), re-read every SIGNER_TTL seconds."""
        if self._signer and time.monotonic() - self._signer[2] < SIGNER_TTL:
            return self._signer[0], self._signer[1]
        row = await SigningKey.filter(active=True, retired_at=None).order_by("-created_at") \
            .first()
        if row is None:
            row = await self._create(active=True)
        private = self._unseal(row)
        self._signer = (row.kid, private, time.monotonic())
        self._public[row.kid] = private.public_key()
        return row.kid, private

    async def public(self, kid: str) -> Ed25519PublicKey | None:
        """The verifying key of ``kid``, or None when unknown or retired."""
        key = self._public.get(kid)
        if key is None and time.monotonic() - self._last_load >= MISS_BACKOFF:
            await self.reload()
            key = self._public.get(kid)
        return key

    async def reload(self) -> None:
        """Re-read the verifying keys (after a rotation or retirement elsewhere)."""
        rows = await SigningKey.filter(retired_at=None)
        self._public = {r.kid: _public_of(r.public_key) for r in rows}
        self._last_load = time.monotonic()
        self._signer = None

    async def rotate(self) -> str:
        """Make a new key the signing key; older keys keep verifying until retired."""
        async with in_transaction():
            await SigningKey.filter(active=True).update(active=False)
            row = await self._create(active=True)
        await self.reload()
        return row.kid

    async def retire(self, kid: str) -> None:
        """Stop trusting a key: passes it signed are refused from now on."""
        row = await SigningKey.get_or_none(kid=kid)
        if row is None:
            raise NotFound("signing_key_not_found", "kid")
        if row.active:
            raise Conflict("signing_key_active", "kid")
        await SigningKey.filter(kid=kid).update(retired_at=clock.now())
        await self.reload()

    async def published(self) -> list[dict[str, Any]]:
        """The public keys lane controllers need for offline checks (creating the first)."""
        await self.signer()
        rows = await SigningKey.filter(retired_at=None).order_by("created_at")
        return [{"kid": r.kid, "public_key": r.public_key, "active": r.active} for r in rows]

    async def _create(self, active: bool) -> SigningKey:
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        pub = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        while True:
            kid = "".join(secrets.choice(_KID_ALPHABET) for _ in range(4))
            if not await SigningKey.filter(kid=kid).exists():
                break
        return await SigningKey.create(
            kid=kid, public_key=base64.b64encode(pub).decode(), active=active,
            private_sealed=self._deps.cipher.encrypt(base64.b64encode(raw).decode(),
                                                     _context(kid)))

    def _unseal(self, row: SigningKey) -> Ed25519PrivateKey:
        raw = base64.b64decode(self._deps.cipher.decrypt(row.private_sealed, _context(row.kid)))
        return Ed25519PrivateKey.from_private_bytes(raw)


def _public_of(b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64))
