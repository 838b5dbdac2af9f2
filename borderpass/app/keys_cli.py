"""``borderpass keys new | status | reseal | rotate``: the data key's life (R-U7).

``rotate`` takes the key in use as ``BORDERPASS_DATA_KEY`` and the new one as
``BORDERPASS_NEW_DATA_KEY`` (never on the command line, where ``ps`` shows it). It makes
the new key current and the old one *retiring* in one transaction, re-seals every value
and file, and retires the old key once nothing is left under it. Interrupted, it is run
again with the same variables (or with the new key as ``BORDERPASS_DATA_KEY`` and the old
as ``BORDERPASS_DATA_KEY_OLD``) and carries on where it stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from borderpass.adapters.keyring import (
    INDEX_CONTEXT,
    KeyringError,
    Keys,
    check,
    configured_keys,
    open_cipher,
    register_first,
    require_key,
)
from borderpass.core.config import Settings
from borderpass.core.crypto import CryptoError, FieldCipher, key_check, key_id, new_key, parse_key
from borderpass.models.keys import CURRENT, RETIRED, RETIRING, DataKey


def add_commands(sub: Any) -> None:
    """The ``keys`` command and its sub-commands."""
    keys = sub.add_parser("keys", help="the data key: new, status, reseal, rotate")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    keys_sub.add_parser("new", help="print a new random data key (base64)")
    keys_sub.add_parser("status", help="the keys of this database and what is left to seal")
    keys_sub.add_parser("reseal", help="seal clear phones and plain files, re-seal old values")
    rotate = keys_sub.add_parser("rotate", help="re-seal everything under a new data key "
                                 "(BORDERPASS_NEW_DATA_KEY); run again to resume")
    rotate.add_argument("--batch", type=int, default=200, help="rows per transaction")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one ``keys`` sub-command; its exit status (2: the keys do not fit)."""
    if args.keys_command == "new":
        print(new_key())
        return 0
    work = {"status": _status, "reseal": _reseal, "rotate": _rotate}[args.keys_command]
    try:
        require_key(settings)  # before connecting: PostgreSQL needs BORDERPASS_DATA_KEY
        return asyncio.run(_with_db(settings, lambda: work(settings, args)))
    except (KeyringError, CryptoError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


async def _with_db(settings: Settings, work: Any) -> int:
    from borderpass.adapters.db import close_db, init_db

    await init_db(settings.db_url)
    try:
        return int(await work())
    finally:
        await close_db()


def _deps(settings: Settings, cipher: FieldCipher) -> Any:
    from zoneinfo import ZoneInfo

    from borderpass.adapters.storage import FileStore
    from borderpass.services.ports import Deps

    return Deps(cipher, FileStore(settings.data_dir / "uploads", cipher), kv=None,  # type: ignore[arg-type]
                tz=ZoneInfo(settings.timezone))


async def _status(settings: Settings, args: argparse.Namespace) -> int:
    from borderpass.services.privacy.resealing import leftovers

    cipher = await open_cipher(settings)
    for row in await DataKey.all().order_by("id"):
        retired = f", retired {row.retired_at:%Y-%m-%d %H:%M}" if row.retired_at else ""
        print(f"key {row.kid}: {row.state}{retired}")
    left = await leftovers(_deps(settings, cipher))
    print("left to seal: " + (", ".join(f"{k} {v}" for k, v in left.items()) or "nothing"))
    return 0


async def _reseal(settings: Settings, args: argparse.Namespace) -> int:
    cipher = await open_cipher(settings)
    return await _finish(settings, cipher, batch=200)


async def _rotate(settings: Settings, args: argparse.Namespace) -> int:
    keys = configured_keys(settings, may_create=False)
    if settings.data_key_new:
        new = parse_key(settings.data_key_new, "BORDERPASS_NEW_DATA_KEY")
        await _make_current(keys, new)
        keys = Keys(new, tuple(k for k in (keys.current, *keys.old) if key_id(k) != key_id(new)))
    cipher = check(keys, {r.kid: r for r in await DataKey.all()})
    print(f"key {cipher.kid} is current; re-sealing under it", flush=True)
    return await _finish(settings, cipher, batch=args.batch)


async def _make_current(keys: Keys, new: bytes) -> None:
    """Register ``new`` as the current key, the old one retiring (once; again is a no-op)."""
    from tortoise.transactions import in_transaction

    rows = {r.kid: r for r in await DataKey.all()}
    if not rows:
        await register_first(keys)
        rows = {r.kid: r for r in await DataKey.all()}
    found = rows.get(key_id(new))
    if found is not None:
        if found.check_value != key_check(new):
            raise KeyringError(f"BORDERPASS_NEW_DATA_KEY (key id {found.kid}) clashes with a "
                               "different key of the same id: make another key")
        if found.state != CURRENT:
            raise KeyringError(f"BORDERPASS_NEW_DATA_KEY (key id {found.kid}) is {found.state}: "
                               "a key is never made current again; make a new one")
        return  # resuming a rotation already begun
    old = check(keys, rows)  # the key in use must be the current one: proof of authority
    async with in_transaction():
        await DataKey.filter(state=CURRENT).update(state=RETIRING)
        await DataKey.create(kid=key_id(new), check_value=key_check(new), state=CURRENT,
                             index_sealed=FieldCipher(new).encrypt(old.index_key.hex(),
                                                                   INDEX_CONTEXT))


async def _finish(settings: Settings, cipher: FieldCipher, batch: int) -> int:
    """Re-seal everything; retire the retiring keys when nothing is left under them."""
    from borderpass.services import clock
    from borderpass.services.privacy.resealing import leftovers, reseal_all

    deps = _deps(settings, cipher)
    report = await reseal_all(deps, batch)
    rows = ", ".join(f"{k} {v}" for k, v in report.rows.items() if v) or "no rows"
    print(f"sealed: {rows}, {report.files} files", flush=True)
    if report.damaged:
        print("files that do not open (left as they are): "
              + ", ".join(d[:12] for d in report.damaged), file=sys.stderr)
    left = await leftovers(deps, batch)
    if left:
        print("still left (written meanwhile?): "
              + ", ".join(f"{k} {v}" for k, v in left.items()) + "; run again", file=sys.stderr)
        return 1
    retired = await DataKey.filter(state=RETIRING).update(state=RETIRED, retired_at=clock.now())
    if retired:
        print("old key retired: BORDERPASS_DATA_KEY_OLD is no longer needed")
    print(f"every value and file is sealed under key {cipher.kid}")
    return 0
