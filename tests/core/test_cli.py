"""The ``borderpass`` command: configuration, migrations, staff accounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from borderpass.core.cli import main
from borderpass.core.config import Settings


def test_settings_from_env(tmp_path: Path) -> None:
    env = {"BORDERPASS_PORT": "9000", "BORDERPASS_DATA_DIR": str(tmp_path),
           "BORDERPASS_HOLIDAYS": "2026-10-01, 2026-10-02", "BORDERPASS_OCR_ENGINE": "paddleocr"}
    settings = Settings.from_env(env)
    assert settings.port == 9000 and settings.holidays == ("2026-10-01", "2026-10-02")
    assert settings.db_url == f"sqlite://{tmp_path / 'borderpass.sqlite3'}"
    assert Settings.from_env({}).redis_url == "" and Settings.from_env({}).port == 8080


def test_user_add_creates_staff(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    # The session's own database: Tortoise caches SQL per connection name, so a second
    # back end under the same name would poison later tests on PostgreSQL.
    monkeypatch.setenv("BORDERPASS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BORDERPASS_DATABASE_URL", db_url)
    name = f"li-{tmp_path.name[-6:]}"
    assert main(["user", "add", "--role", "reviewer", name, "--password", "long-enough-1"]) == 0
    assert f"created staff user {name}" in capsys.readouterr().out
    assert main(["user", "add", "--role", "reviewer", name, "--password", "long-enough-1"]) == 1
    assert main(["user", "add", "--role", "pilot", "wang", "--password", "long-enough-1"]) == 1
    assert "role_unknown" in capsys.readouterr().err


def _in_db(db_url: str, work: object) -> object:
    """Run ``work()`` against the session database (set-up and checks of a CLI test)."""
    import asyncio

    from borderpass.core.db import close_db, init_db

    async def go() -> object:
        await init_db(db_url, apply_migrations=False)
        try:
            return await work()  # type: ignore[operator]
        finally:
            await close_db()

    return asyncio.run(go())


def test_user_unlock_and_reset_password(db_url: str, tmp_path: Path,  # MLPS, R-U7
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime, timedelta

    from borderpass.models import AuditEvent, LoginLock, User, UserSession

    monkeypatch.setenv("BORDERPASS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BORDERPASS_DATABASE_URL", db_url)
    name = f"zhou-{tmp_path.name[-6:]}"
    assert main(["user", "add", "--role", "customs", name, "--password", "long-enough-1"]) == 0
    assert main(["user", "unlock", name]) == 1
    assert "login_not_locked" in capsys.readouterr().err

    async def lock_and_log_in() -> str:
        user = await User.get(username=name)
        await LoginLock.create(username=name, failures=10, locked_at=datetime.now(UTC))
        await UserSession.create(token_hash="f" * 64, user=user,
                                 expires_at=datetime.now(UTC) + timedelta(days=1))
        return str(user.password_hash)

    old_hash = _in_db(db_url, lock_and_log_in)
    assert main(["user", "unlock", name]) == 0
    assert main(["user", "reset-password", name, "--password", "short"]) == 1
    assert "password_short" in capsys.readouterr().err
    assert main(["user", "reset-password", name, "--password", "a-new-secret-9"]) == 0
    assert "every session ended" in capsys.readouterr().out

    async def state() -> tuple[bool, bool, str, list[str]]:
        user = await User.get(username=name)
        events = [e.action for e in await AuditEvent.all() if e.detail.get("username") == name]
        return (await LoginLock.exists(username=name),
                await UserSession.exists(user_id=user.id), str(user.password_hash), events)

    locked, has_session, new_hash, actions = _in_db(db_url, state)  # type: ignore[misc]
    assert not locked and not has_session and new_hash != old_hash
    assert sorted(actions) == ["login_unlock", "password_reset"]
