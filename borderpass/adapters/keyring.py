"""The data key at start-up (R-U7): required on PostgreSQL, checked against the database.

``open_cipher`` is the one way a process gets its :class:`FieldCipher`. It refuses to start
— with a :class:`KeyringError` whose text says what to do — when PostgreSQL is configured
without ``BORDERPASS_DATA_KEY``, when the key is not the one the database was sealed with
(its check value is stored in ``data_keys``), when a rotation is under way and the old key
is not given, or when the development key file is gone but sealed data exists. It never
makes a new key for a database that already holds sealed data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from borderpass.core.config import Settings
from borderpass.core.crypto import (
    CryptoError,
    FieldCipher,
    dev_key_path,
    key_check,
    key_id,
    load_data_key,
    parse_key,
)
from borderpass.models.keys import CURRENT, RETIRED, RETIRING, DataKey

log = logging.getLogger("borderpass.keys")
INDEX_CONTEXT = "keyring.index_key"


class KeyringError(Exception):
    """The process cannot start: the data key is missing, wrong or incomplete."""


@dataclass(frozen=True)
class Keys:
    """The keys a process was given: the one it seals with, and old ones it may open with."""

    current: bytes
    old: tuple[bytes, ...] = ()


def require_key(settings: Settings) -> None:
    """Refuse PostgreSQL (production) without BORDERPASS_DATA_KEY, before connecting."""
    if settings.uses_postgres and not settings.data_key:
        raise KeyringError("BORDERPASS_DATA_KEY must be set when PostgreSQL is configured "
                           "(base64 of 32 random bytes; `borderpass keys new` prints one)")


def configured_keys(settings: Settings, *, may_create: bool) -> Keys:
    """The keys from settings (PostgreSQL: BORDERPASS_DATA_KEY required) or the dev file."""
    try:
        old = tuple(parse_key(text, "BORDERPASS_DATA_KEY_OLD")
                    for text in settings.data_key_old.split(",") if text.strip())
        require_key(settings)
        if settings.data_key:
            return Keys(parse_key(settings.data_key), old)
        return Keys(load_data_key("", settings.data_dir, create=may_create), old)
    except CryptoError as exc:
        raise KeyringError(str(exc)) from exc


async def open_cipher(settings: Settings) -> FieldCipher:
    """The cipher of a starting process, after checking its key against the database."""
    require_key(settings)
    rows = {r.kid: r for r in await DataKey.all()}
    dev_missing = not settings.data_key and not dev_key_path(settings.data_dir).exists()
    if dev_missing and (rows or await _sealed_sample() is not None):
        raise KeyringError(
            f"the development data key {dev_key_path(settings.data_dir)} is missing but the "
            "database holds sealed data: restore the file or set BORDERPASS_DATA_KEY")
    keys = configured_keys(settings, may_create=not rows)
    if not rows:
        return await register_first(keys)
    return check(keys, rows)


def check(keys: Keys, rows: dict[str, DataKey]) -> FieldCipher:
    """The cipher when ``keys`` match the keyring's current key (and any retiring one)."""
    current = _row_of(keys.current, rows, "BORDERPASS_DATA_KEY")
    expected = next((r.kid for r in rows.values() if r.state == CURRENT), "?")
    if current.state == RETIRED:
        raise KeyringError(f"BORDERPASS_DATA_KEY (key id {current.kid}) was retired by a "
                           f"rotation; start with the current key (key id {expected})")
    if current.state == RETIRING:
        raise KeyringError(f"BORDERPASS_DATA_KEY (key id {current.kid}) is being rotated out: "
                           f"start with the new key (key id {expected}) as BORDERPASS_DATA_KEY "
                           "and this one as BORDERPASS_DATA_KEY_OLD")
    given = {key_id(k) for k in keys.old}
    for old in keys.old:
        _row_of(old, rows, "BORDERPASS_DATA_KEY_OLD")
    missing = [r.kid for r in rows.values() if r.state == RETIRING and r.kid not in given]
    if missing:
        raise KeyringError(f"a key rotation is under way: set BORDERPASS_DATA_KEY_OLD to the "
                           f"old key (key id {', '.join(missing)})")
    return cipher_for(keys, current)


def cipher_for(keys: Keys, row: DataKey) -> FieldCipher:
    """The cipher sealing with ``keys.current``, its blind-index key unsealed from ``row``."""
    opener = FieldCipher(keys.current, keys.old)
    try:
        index_key = bytes.fromhex(opener.decrypt(row.index_sealed, INDEX_CONTEXT))
    except CryptoError as exc:
        raise KeyringError(f"the keyring entry of key id {row.kid} does not open") from exc
    return FieldCipher(keys.current, keys.old, index_key)


async def register_first(keys: Keys) -> FieldCipher:
    """Record the first key of a database, after proving it opens what is already sealed."""
    cipher = FieldCipher(keys.current, keys.old)
    sample = await _sealed_sample()
    if sample is not None:
        try:
            cipher.decrypt(*sample)
        except CryptoError as exc:
            raise KeyringError(f"BORDERPASS_DATA_KEY (key id {cipher.kid}) does not open the "
                               "data already sealed in this database: it is not its key") from exc
    try:
        row = await DataKey.create(kid=cipher.kid, check_value=key_check(keys.current),
                                   state=CURRENT, index_sealed=cipher.encrypt(
                                       cipher.index_key.hex(), INDEX_CONTEXT))
    except IntegrityError:  # a twin process registered it first: check against its row
        return check(keys, {r.kid: r for r in await DataKey.all()})
    first = await DataKey.filter(state=CURRENT).order_by("id").first()
    if first is not None and first.id != row.id:  # another key won a simultaneous first start
        await DataKey.filter(id=row.id).delete()
    else:
        log.info("data key registered", extra={"kid": cipher.kid})
    return check(keys, {r.kid: r for r in await DataKey.all()})


def _row_of(key: bytes, rows: dict[str, DataKey], name: str) -> DataKey:
    row = rows.get(key_id(key))
    if row is None or row.check_value != key_check(key):
        expected = next((r.kid for r in rows.values() if r.state == CURRENT), "?")
        raise KeyringError(f"{name} (key id {key_id(key)}) is not a key of this database "
                           f"(its current key id is {expected}): wrong or lost key")
    return row


async def _sealed_sample() -> tuple[str, str] | None:
    """One value already sealed in the database and its context, if any (legacy check)."""
    from borderpass.models import Filing, FilingDriver
    from borderpass.models.gate import SigningKey
    from borderpass.models.units import Membership

    key = await SigningKey.all().order_by("created_at").first()
    if key is not None:
        return key.private_sealed, f"gate.signing_key:{key.kid}"
    for model, prefix in ((Filing, ""), (FilingDriver, "driver."), (Membership, "member.")):
        for row in await model.all().order_by("id").limit(50):
            for name, token in row.sealed.items():
                return token, prefix + name
    return None
