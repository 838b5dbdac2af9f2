"""Personal-data protection (R-U7): AES-GCM sealing of fields and files, HMAC blind index.

Every key is derived with HKDF from a 32-byte data key (``BORDERPASS_DATA_KEY``, base64).
Each sealed value and file names the key that sealed it (a 4-byte key id derived from the
key), so ``borderpass keys rotate`` can re-seal under a new key while the old one still
opens what it sealed. The blind-index key is kept apart: it is stored in the database
sealed under the data key (adapters/keyring.py), so lookups survive a rotation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

_NONCE = 12
KID_BYTES = _KID = 4
_V1 = b"\x01"  # version 1: no key id (sealed before key ids existed)
_V2 = b"\x02"  # version 2: key id, nonce, ciphertext
FILE_MAGIC = b"BPSEALED\x01"  # a sealed file starts with this; a plain (legacy) one never does
SUBJECT_MAGIC = b"BPSEALED\x02"  # a file sealed under one person's subject key (R-D7)
DEV_KEY_FILE = "dev-data.key"


class CryptoError(Exception):
    """The data key is missing or wrong, or a ciphertext was tampered with."""


def parse_key(text: str, name: str = "BORDERPASS_DATA_KEY") -> bytes:
    """A 32-byte key from its base64 text; CryptoError naming the variable otherwise."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise CryptoError(f"{name} is not valid base64") from exc
    if len(key) != 32:
        raise CryptoError(f"{name} must decode to 32 bytes")
    return key


def new_key() -> str:
    """A fresh random data key, base64 (for ``borderpass keys new``)."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def dev_key_path(data_dir: Path) -> Path:
    """Where the development data key lives when BORDERPASS_DATA_KEY is unset (SQLite)."""
    return data_dir / DEV_KEY_FILE


def load_data_key(configured: str, data_dir: Path, *, create: bool = True) -> bytes:
    """The data key from settings, else the development key file (created once if allowed)."""
    if configured:
        return parse_key(configured)
    path = dev_key_path(data_dir)
    if not path.exists():
        if not create:
            raise CryptoError(f"the development data key {path} is missing")
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(new_key().encode())
        log.warning("generated a development data key", extra={"path": str(path)})
    return parse_key(path.read_bytes().decode(), str(path))


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


def key_id(key: bytes) -> str:
    """The public name of a data key (8 hex digits), carried by everything it seals."""
    return _derive(key, b"borderpass key id v1")[:_KID].hex()


def key_check(key: bytes) -> str:
    """A check value of the key, stored in the database to refuse a wrong key at start-up."""
    return _derive(key, b"borderpass key check v1").hex()


def legacy_index_key(key: bytes) -> bytes:
    """The blind-index key of a database first sealed with ``key``."""
    return _derive(key, b"borderpass blind index v1")


class _Sealer:
    """The AES-GCM keys of one data key: one for fields, one for files."""

    def __init__(self, key: bytes) -> None:
        self.kid = key_id(key)
        self.raw_kid = bytes.fromhex(self.kid)
        self.fields = AESGCM(_derive(key, b"borderpass field encryption v1"))
        self.files = AESGCM(_derive(key, b"borderpass file encryption v1"))


class FieldCipher:
    """Seals personal fields and files at rest and computes their blind index for lookups.

    ``data_key`` seals; ``old_keys`` only open (during a rotation); ``index_key`` is the
    blind-index key (derived from ``data_key`` when not given, as before key rotation).
    """

    def __init__(self, data_key: bytes, old_keys: Sequence[bytes] = (),
                 index_key: bytes | None = None) -> None:
        self._current = _Sealer(data_key)
        self._by_kid = {s.kid: s for s in (_Sealer(k) for k in old_keys)}
        self._by_kid[self._current.kid] = self._current
        self._index_key = index_key if index_key is not None else legacy_index_key(data_key)

    @property
    def kid(self) -> str:
        """The key id values are sealed under now."""
        return self._current.kid

    @property
    def index_key(self) -> bytes:
        """The blind-index key (sealed into the keyring by adapters/keyring.py)."""
        return self._index_key

    def encrypt(self, plaintext: str, context: str) -> str:
        """Ciphertext (base64) bound to ``context`` (e.g. the column name) as AAD."""
        nonce = os.urandom(_NONCE)
        sealed = self._current.fields.encrypt(nonce, plaintext.encode(), context.encode())
        return base64.b64encode(_V2 + self._current.raw_kid + nonce + sealed).decode()

    def decrypt(self, token: str, context: str) -> str:
        """The plaintext of :meth:`encrypt`; raises CryptoError when tampered or misplaced."""
        try:
            raw = base64.b64decode(token)
        except ValueError as exc:
            raise CryptoError("ciphertext is not base64") from exc
        if raw[:1] == _V2:
            sealer = self._sealer(raw[1:1 + _KID].hex())
            return self._open(sealer.fields, raw[1 + _KID:], context.encode()).decode()
        if raw[:1] == _V1:  # before key ids: whichever configured key opens it
            for sealer in self._by_kid.values():
                try:
                    return self._open(sealer.fields, raw[1:], context.encode()).decode()
                except CryptoError:
                    continue
            raise CryptoError("ciphertext does not authenticate")
        raise CryptoError("unknown ciphertext version")

    def token_kid(self, token: str) -> str | None:
        """The key id a value was sealed under (None for the first, key-less version)."""
        raw = base64.b64decode(token)
        return raw[1:1 + _KID].hex() if raw[:1] == _V2 else None

    def reseal(self, token: str, context: str) -> str | None:
        """``token`` sealed under the current key, or None when it already is."""
        if self.token_kid(token) == self.kid:
            return None
        return self.encrypt(self.decrypt(token, context), context)

    def seal_file(self, data: bytes, name: str) -> bytes:
        """A file's bytes sealed under the current key, bound to its ``name`` (AAD)."""
        nonce = os.urandom(_NONCE)
        body = self._current.files.encrypt(nonce, data, _file_aad(name))
        return FILE_MAGIC + self._current.raw_kid + nonce + body

    def open_file(self, blob: bytes, name: str) -> bytes:
        """The bytes of :meth:`seal_file`; a plain file (stored before sealing) as it is."""
        if not blob.startswith(FILE_MAGIC):
            return blob
        head = len(FILE_MAGIC)
        sealer = self._sealer(blob[head:head + _KID].hex())
        return self._open(sealer.files, blob[head + _KID:], _file_aad(name))

    def file_kid(self, blob: bytes) -> str | None:
        """The key id a stored file was sealed under, None when it is plain."""
        if not blob.startswith(FILE_MAGIC):
            return None
        return blob[len(FILE_MAGIC):len(FILE_MAGIC) + _KID].hex()

    def blind_index(self, value: str, context: str) -> str:
        """A keyed hash of the normalised value, equal for equal values, for exact lookups."""
        msg = context.encode() + b"\x00" + value.strip().upper().encode()
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()

    def _sealer(self, kid: str) -> _Sealer:
        sealer = self._by_kid.get(kid)
        if sealer is None:
            raise CryptoError(f"sealed under key id {kid}, which is not configured")
        return sealer

    @staticmethod
    def _open(aead: AESGCM, raw: bytes, aad: bytes) -> bytes:
        nonce, sealed = raw[:_NONCE], raw[_NONCE:]
        try:
            return aead.decrypt(nonce, sealed, aad)
        except InvalidTag as exc:
            raise CryptoError("ciphertext does not authenticate") from exc


def _file_aad(name: str) -> bytes:
    return b"borderpass file\x00" + name.encode()


class SubjectCipher:
    """Seals one person's files under their own subject key (crypto-shredding, R-D7).

    The subject key is random, kept only wrapped by the data key (``subject_keys``), and
    destroyed when the person's data is deleted: every copy of their files — in backups
    too — then stays sealed for good. A file is stored under a name derived from the
    subject key and the content digest, so after the key is gone the name no longer links
    to any content either. ``SUBJECT_MAGIC ‖ subject id (4 bytes) ‖ nonce ‖ ciphertext``.
    """

    def __init__(self, key: bytes, subject_id: int) -> None:
        self.subject_id = subject_id
        self._raw_id = subject_id.to_bytes(_KID, "big")
        self._files = AESGCM(_derive(key, b"borderpass subject file v1"))
        self._names = _derive(key, b"borderpass subject file name v1")

    def name(self, digest: str) -> str:
        """The stored name of content ``digest`` for this subject (64 hex digits)."""
        return hmac.new(self._names, digest.encode(), hashlib.sha256).hexdigest()

    def seal_file(self, data: bytes, name: str) -> bytes:
        """``data`` sealed under the subject key, bound to the stored ``name`` (AAD)."""
        nonce = os.urandom(_NONCE)
        body = self._files.encrypt(nonce, data, _file_aad(name) + self._raw_id)
        return SUBJECT_MAGIC + self._raw_id + nonce + body

    def open_file(self, blob: bytes, name: str) -> bytes:
        """The bytes of :meth:`seal_file`; CryptoError when it is another subject's."""
        head = len(SUBJECT_MAGIC)
        if not blob.startswith(SUBJECT_MAGIC) or blob[head:head + _KID] != self._raw_id:
            raise CryptoError("not a file of this subject")
        return FieldCipher._open(self._files, blob[head + _KID:], _file_aad(name) + self._raw_id)


def subject_of(blob: bytes) -> int | None:
    """The subject id a stored file is sealed for, None when it is not subject-sealed."""
    if not blob.startswith(SUBJECT_MAGIC):
        return None
    return int.from_bytes(blob[len(SUBJECT_MAGIC):len(SUBJECT_MAGIC) + _KID], "big")


def new_subject_key() -> bytes:
    """A fresh random subject key (32 bytes)."""
    return AESGCM.generate_key(bit_length=256)
