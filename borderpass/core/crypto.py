"""Personal-data protection (R-U7): AES-GCM field encryption and an HMAC blind index.

Both keys are derived with HKDF from one data key (``BORDERPASS_DATA_KEY``, base64 of
32 bytes). Without it a development key is generated into the data directory once,
with a warning, so a fresh checkout runs but production must set the variable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

_NONCE = 12
_VERSION = b"\x01"


class CryptoError(Exception):
    """The data key is missing or wrong, or a ciphertext was tampered with."""


def load_data_key(configured: str, data_dir: Path) -> bytes:
    """The 32-byte data key from settings, else the development key file (created once)."""
    if configured:
        try:
            key = base64.b64decode(configured, validate=True)
        except ValueError as exc:
            raise CryptoError("BORDERPASS_DATA_KEY is not valid base64") from exc
        if len(key) != 32:
            raise CryptoError("BORDERPASS_DATA_KEY must decode to 32 bytes")
        return key
    path = data_dir / "dev-data.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(base64.b64encode(AESGCM.generate_key(bit_length=256)))
        log.warning("generated a development data key", extra={"path": str(path)})
    return base64.b64decode(path.read_bytes().strip())


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


class FieldCipher:
    """Encrypts personal fields at rest and computes their blind index for lookups."""

    def __init__(self, data_key: bytes) -> None:
        self._aead = AESGCM(_derive(data_key, b"borderpass field encryption v1"))
        self._index_key = _derive(data_key, b"borderpass blind index v1")

    def encrypt(self, plaintext: str, context: str) -> str:
        """Ciphertext (base64) bound to ``context`` (e.g. the column name) as AAD."""
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return base64.b64encode(_VERSION + nonce + sealed).decode()

    def decrypt(self, token: str, context: str) -> str:
        """The plaintext of :meth:`encrypt`; raises CryptoError when tampered or misplaced."""
        from cryptography.exceptions import InvalidTag

        raw = base64.b64decode(token)
        if raw[:1] != _VERSION:
            raise CryptoError("unknown ciphertext version")
        nonce, sealed = raw[1 : 1 + _NONCE], raw[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, sealed, context.encode()).decode()
        except InvalidTag as exc:
            raise CryptoError("ciphertext does not authenticate") from exc

    def blind_index(self, value: str, context: str) -> str:
        """A keyed hash of the normalised value, equal for equal values, for exact lookups."""
        msg = context.encode() + b"\x00" + value.strip().upper().encode()
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()
