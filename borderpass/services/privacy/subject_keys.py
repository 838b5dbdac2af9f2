"""Subject keys — 个人密钥 (R-D7): one random key per person, wrapped by the data key.

A person's document files and data exports are sealed under their subject key. Deleting
their data destroys the key (the row is deleted): every copy of those files, in backups
too, then stays sealed for good — crypto-shredding. A data-key rotation re-wraps the row
(``services/privacy/resealing.py``); the files themselves are never re-sealed.
"""

from __future__ import annotations

import base64
import logging

from tortoise.exceptions import IntegrityError

from borderpass.adapters import constraints
from borderpass.core.crypto import CryptoError, SubjectCipher, new_subject_key
from borderpass.models import Document, SubjectKey
from borderpass.services.ports import Deps

log = logging.getLogger("borderpass.keys")


def _context(user_id: int) -> str:
    return f"subject_key:{user_id}"


def _open(deps: Deps, row: SubjectKey) -> SubjectCipher:
    key = base64.b64decode(deps.cipher.decrypt(row.wrapped, _context(row.user_id)))
    return SubjectCipher(key, row.user_id)


async def cipher_of(deps: Deps, user_id: int) -> SubjectCipher | None:
    """The person's subject cipher, None when they have none (or it was destroyed)."""
    row = await SubjectKey.get_or_none(user_id=user_id)
    return _open(deps, row) if row is not None else None


_ONE_KEY = f"{SubjectKey._meta.db_table}_user_id_key"  # one key per person


async def ensure(deps: Deps, user_id: int) -> SubjectCipher:
    """The person's subject cipher, created on first use (twins agree on one key)."""
    row = await SubjectKey.get_or_none(user_id=user_id)
    if row is None:
        wrapped = deps.cipher.encrypt(base64.b64encode(new_subject_key()).decode(),
                                      _context(user_id))
        try:
            row = await SubjectKey.create(user_id=user_id, wrapped=wrapped)
        except IntegrityError as exc:
            if not await constraints.violates(exc, _ONE_KEY):
                raise
            row = await SubjectKey.get(user_id=user_id)  # a twin request created it first
    return _open(deps, row)


async def destroy(user_id: int) -> bool:
    """Destroy the person's subject key (crypto-shredding); True if there was one. Refused
    while a document of theirs still needs it (kept by law): CryptoError."""
    if await Document.filter(owner_id=user_id, file_name__isnull=False).exists():
        raise CryptoError("documents sealed under this subject key are still kept")
    gone = await SubjectKey.filter(user_id=user_id).delete()
    if gone:
        log.info("subject key destroyed")
    return bool(gone)
