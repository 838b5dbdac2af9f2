"""``borderpass agency``: the operator registers, lists, replays and stops agencies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suite_settings import TEST_KEY

from borderpass.app.cli import main


@pytest.fixture
def cli_env(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("BORDERPASS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BORDERPASS_DATABASE_URL", db)
    monkeypatch.setenv("BORDERPASS_DATA_KEY", TEST_KEY)
    monkeypatch.setenv("BORDERPASS_LOCALE", "en")
    return db


def test_agency_add_list_replay_stop(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agency", "add", "customs-ruili", "--name", "瑞丽海关", "--kind", "customs",
                 "--url", "https://customs.example/in", "--types", "declarations,crossings",
                 "--batch", "50"]) == 0
    out = capsys.readouterr().out
    assert "whsec_" in out
    secret = out.split("whsec_")[1].split()[0]
    assert main(["agency", "list", "--json"]) == 0
    listed = capsys.readouterr().out
    assert secret not in listed
    row = json.loads(listed)[0]
    assert row["code"] == "customs-ruili" and row["event_types"] == "crossings,declarations"
    assert main(["agency", "add", "x-y-z", "--name", "x", "--kind", "customs",
                 "--url", "http://example.org/", "--types", "credit"]) == 1
    assert "[url_https_required]" in capsys.readouterr().err
    assert main(["agency", "replay", "customs-ruili", "0"]) == 0
    assert main(["agency", "stop", "customs-ruili"]) == 0
    capsys.readouterr()
    assert main(["agency", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["active"] is False
    assert main(["agency", "replay", "nobody", "0"]) == 1
    assert "[agency_not_found]" in capsys.readouterr().err
