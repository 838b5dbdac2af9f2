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
