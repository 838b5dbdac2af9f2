"""The data key (R-U7): refused start without it on PostgreSQL, a wrong or lost key is a
clear start-up error (never a new key, never a 500 later), and ``keys rotate`` re-seals
everything under a new key, resuming after an interruption."""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib

import pytest
from aiohttp.test_utils import TestServer
from sealing_helpers import (
    DRIVER_PHONE,
    EXPORT_PHONE,
    OWNER,
    PROFILE_PHONE,
    TEST_KEY,
    UNIT_PHONE,
    cli,
    cli_env,
    journey,
)

from borderpass.adapters.keyring import KeyringError, open_cipher
from borderpass.adapters.storage import FileStore
from borderpass.app import keys_cli
from borderpass.core.config import Settings
from borderpass.core.crypto import (
    CryptoError,
    FieldCipher,
    SubjectCipher,
    dev_key_path,
    key_id,
    new_key,
)
from borderpass.models import DataKey, Document, Filing, FilingDriver, SubjectKey, User
from borderpass.models.export import EnterpriseFiling
from borderpass.models.keys import CURRENT, RETIRED, RETIRING
from borderpass.models.units import Unit
from borderpass.services.gate.signing_keys import KeyRing
from borderpass.services.ports import Deps
from borderpass.services.privacy import resealing

OLD = base64.b64decode(TEST_KEY)
NEW_TEXT = new_key()
NEW = base64.b64decode(NEW_TEXT)
UNREACHABLE_PG = "postgres://postgres@127.0.0.1:1/borderpass_nowhere"


def test_postgres_without_a_data_key_refuses_to_start(tmp_path) -> None:  # R-U7
    for command in (["serve", "--port", "18401"], ["worker"], ["sweep"], ["keys", "status"]):
        result = cli(command, {"BORDERPASS_DATABASE_URL": UNREACHABLE_PG,
                                "BORDERPASS_DATA_DIR": str(tmp_path)})
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "BORDERPASS_DATA_KEY must be set when PostgreSQL is configured" in result.stderr
    assert not dev_key_path(tmp_path).exists()  # no key was made up


async def test_app_on_postgres_without_a_key_does_not_start(db, redis, data_dir) -> None:
    from borderpass.app.factory import create_app

    url = db if db.startswith("postgres") else UNREACHABLE_PG
    settings = Settings(data_dir=data_dir, database_url=url, data_key="", sweep_interval=0,
                        notify_worker=False)
    server = TestServer(create_app(settings))
    with pytest.raises(KeyringError, match="BORDERPASS_DATA_KEY must be set"):
        await server.start_server()
    await server.close()



async def test_wrong_key_is_a_clear_start_up_error(client, fake_wechat, settings) -> None:
    await journey(client, fake_wechat)  # the app registered its key on start
    wrong = settings.with_overrides(data_key=new_key())
    with pytest.raises(KeyringError, match="is not a key of this database"):
        await open_cipher(wrong)
    from borderpass.app.factory import create_app

    server = TestServer(create_app(wrong))
    with pytest.raises(KeyringError, match="wrong or lost key"):
        await server.start_server()
    await server.close()
    for command in (["sweep"], ["serve", "--port", "18402"], ["lane", "list"]):
        result = await asyncio.to_thread(
            cli, command, cli_env(settings, BORDERPASS_DATA_KEY=wrong.data_key))
        assert result.returncode == 2 and "wrong or lost key" in result.stderr, result.stderr
    right = await asyncio.to_thread(cli, ["sweep"],
                                    cli_env(settings, BORDERPASS_DATA_KEY=TEST_KEY))
    assert right.returncode == 0, right.stderr


async def test_a_lost_development_key_is_never_replaced(deps, settings) -> None:
    dev = settings.with_overrides(data_key="")
    if dev.uses_postgres:  # production: no development key at all
        with pytest.raises(KeyringError, match="must be set"):
            await open_cipher(dev)
        assert not dev_key_path(dev.data_dir).exists()
        return
    cipher = await open_cipher(dev)  # a fresh SQLite install: the key is made once
    key_file = dev_key_path(dev.data_dir)
    assert key_file.exists() and (await open_cipher(dev)).kid == cipher.kid
    await KeyRing(Deps(cipher, deps.files, deps.kv)).signer()  # something sealed
    key_file.unlink()
    with pytest.raises(KeyringError, match=r"development data key .* is missing"):
        await open_cipher(dev)
    assert not key_file.exists()


async def test_a_database_sealed_before_key_checks_refuses_another_key(deps, settings) -> None:
    await KeyRing(deps).signer()  # sealed with the test key, no keyring row yet
    assert not await DataKey.exists()
    with pytest.raises(KeyringError, match="does not open the data already sealed"):
        await open_cipher(settings.with_overrides(data_key=NEW_TEXT))
    assert not await DataKey.exists()
    assert (await open_cipher(settings)).kid == key_id(OLD)
    assert await DataKey.filter(kid=key_id(OLD), state=CURRENT).exists()


async def _tokens() -> list[tuple[str, str]]:
    """Every sealed value in the database with its context."""
    found = []
    for table in resealing.TABLES:
        for row in await table.model.all():
            if isinstance(table, resealing.SealedReading):
                found += [(row.ocr["sealed"], f"document.ocr:{row.id}")] if row.ocr else []
            elif isinstance(table, resealing.SealedColumn):
                found.append((getattr(row, table.column), table.context(row)))
            else:
                found += [(t, table.prefix + n) for n, t in row.sealed.items()]
    return found


async def _assert_all_under_new(settings: Settings) -> None:
    tokens = await _tokens()
    assert len(tokens) >= 15
    new, old = FieldCipher(NEW), FieldCipher(OLD)
    for token, context in tokens:
        assert new.token_kid(token) == key_id(NEW)
        new.decrypt(token, context)
        with pytest.raises(CryptoError):
            old.decrypt(token, context)
    cipher = await open_cipher(settings.with_overrides(data_key=NEW_TEXT, data_key_old=""))
    files = FileStore(settings.data_dir / "uploads", cipher)
    digests = [d for d in files.digests() if not files.is_subject(d)]
    assert digests and all(files.kid_of(d) == key_id(NEW) for d in digests)
    # R-D7: a person's files stay under their subject key, which is re-wrapped (a token
    # above); they still open through it, unwrapped by the new key alone
    personal = await Document.filter(file_name__isnull=False)
    assert personal
    for doc in personal:
        row = await SubjectKey.get(user_id=doc.owner_id)
        subject = SubjectCipher(base64.b64decode(
            cipher.decrypt(row.wrapped, f"subject_key:{doc.owner_id}")), doc.owner_id)
        assert hashlib.sha256(files.get(doc.file_name, subject)).hexdigest() == doc.sha256
    for digest in digests:
        files.get(digest)
        with pytest.raises(CryptoError):
            FileStore(files.root, FieldCipher(OLD)).get(digest)
    driver = await FilingDriver.filter(position=0).first()
    assert driver is not None
    assert cipher.decrypt(driver.sealed["phone"], "driver.phone") == DRIVER_PHONE
    assert cipher.blind_index(OWNER, "id_number") == driver.id_key  # lookups survive
    unit, user = await Unit.first(), await User.filter(sealed__not={}).first()
    assert unit is not None and user is not None
    assert cipher.decrypt(unit.sealed["contact_phone"], "unit.contact_phone") == UNIT_PHONE
    assert cipher.decrypt(user.sealed["phone"], "user.phone") == PROFILE_PHONE
    export = await EnterpriseFiling.first()
    assert export is not None
    assert cipher.decrypt(export.sealed["contact_phone"], "export.contact_phone") == EXPORT_PHONE
    filing = await Filing.first()
    assert filing is not None and filing.sealed


async def test_rotate_reseals_everything_and_the_old_key_opens_nothing(
        client, fake_wechat, settings, deps) -> None:  # R-U7
    await journey(client, fake_wechat)
    await KeyRing(deps).signer()  # a gate signing key's private half, sealed
    result = await asyncio.to_thread(cli, ["keys", "rotate"], cli_env(
        settings, BORDERPASS_DATA_KEY=TEST_KEY, BORDERPASS_NEW_DATA_KEY=NEW_TEXT))
    assert result.returncode == 0, result.stderr
    assert NEW_TEXT not in result.stdout + result.stderr and TEST_KEY not in result.stdout
    states = {r.kid: r.state for r in await DataKey.all()}
    assert states == {key_id(OLD): RETIRED, key_id(NEW): CURRENT}
    await _assert_all_under_new(settings)
    with pytest.raises(KeyringError, match="retired by a rotation"):
        await open_cipher(settings)  # the old key no longer starts anything
    new_deps = Deps(await open_cipher(settings.with_overrides(data_key=NEW_TEXT)),
                    deps.files, deps.kv)
    assert (await KeyRing(new_deps).signer())[0]  # the signing key opens under the new key
    again = await asyncio.to_thread(cli, ["keys", "rotate"], cli_env(
        settings, BORDERPASS_DATA_KEY=TEST_KEY, BORDERPASS_NEW_DATA_KEY=NEW_TEXT))
    assert again.returncode == 0 and "sealed: no rows, 0 files" in again.stdout, again.stdout


async def test_interrupted_rotate_resumes(client, fake_wechat, settings, deps,
                                          monkeypatch) -> None:  # R-U7
    await journey(client, fake_wechat)
    await KeyRing(deps).signer()
    calls = {"n": 0}
    real = resealing._updates

    def crash_midway(*args):
        calls["n"] += 1
        if calls["n"] == 7:
            raise RuntimeError("power cut")
        return real(*args)

    monkeypatch.setattr(resealing, "_updates", crash_midway)
    rotate = settings.with_overrides(data_key_new=NEW_TEXT)
    with pytest.raises(RuntimeError, match="power cut"):
        await keys_cli._rotate(rotate, argparse.Namespace(batch=2))
    monkeypatch.setattr(resealing, "_updates", real)
    states = {r.kid: r.state for r in await DataKey.all()}
    assert states == {key_id(OLD): RETIRING, key_id(NEW): CURRENT}
    kids = {FieldCipher(NEW).token_kid(t) for t, _ in await _tokens()}
    assert kids == {key_id(OLD), key_id(NEW)}  # half done: both keys in use

    new_only = settings.with_overrides(data_key=NEW_TEXT)
    with pytest.raises(KeyringError, match="rotation is under way"):
        await open_cipher(new_only)
    with pytest.raises(KeyringError, match="being rotated out"):
        await open_cipher(settings)
    both = new_only.with_overrides(data_key_old=TEST_KEY)
    mixed = await open_cipher(both)  # the service runs meanwhile, reading both
    for token, context in await _tokens():
        mixed.decrypt(token, context)

    resumed = await asyncio.to_thread(cli, ["keys", "rotate"], cli_env(
        settings, BORDERPASS_DATA_KEY=NEW_TEXT, BORDERPASS_DATA_KEY_OLD=TEST_KEY))
    assert resumed.returncode == 0, resumed.stderr
    assert {r.kid: r.state for r in await DataKey.all()} == {key_id(OLD): RETIRED,
                                                            key_id(NEW): CURRENT}
    await _assert_all_under_new(settings)


async def test_rotate_refuses_without_the_current_key(client, fake_wechat, settings) -> None:
    await journey(client, fake_wechat)
    other = new_key()
    result = await asyncio.to_thread(cli, ["keys", "rotate"], cli_env(
        settings, BORDERPASS_DATA_KEY=other, BORDERPASS_NEW_DATA_KEY=NEW_TEXT))
    assert result.returncode == 2 and "wrong or lost key" in result.stderr, result.stderr
    assert {r.kid for r in await DataKey.all()} == {key_id(OLD)}


async def test_two_first_starts_with_different_keys_leave_one_key(settings) -> None:
    other = settings.with_overrides(data_key=NEW_TEXT)
    results = await asyncio.gather(open_cipher(settings), open_cipher(other),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["FieldCipher", "KeyringError"]
    assert await DataKey.filter(state=CURRENT).count() == 1
