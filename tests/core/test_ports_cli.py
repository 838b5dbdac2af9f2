"""``borderpass ports`` and lanes at ports (issue 26): operators' commands in-process."""

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


def _ports(capsys: pytest.CaptureFixture[str]) -> dict[str, dict]:
    assert main(["ports", "list", "--json"]) == 0
    return {p["code"]: p for p in json.loads(capsys.readouterr().out)}


def test_ports_add_list_deactivate(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    ports = _ports(capsys)
    assert ports["yonghe"] == {"code": "yonghe", "zh": "永和", "my": "ယုံဟော်", "en": "Yonghe",
                               "countries": "CN-MM", "active": True, "lanes": 0}
    assert len(ports) == 9 and "mengding" not in ports
    assert main(["ports", "add", "Bad Code", "--zh", "", "--my", "x", "--en", "y",
                 "--countries", "china"]) == 1
    err = capsys.readouterr().err
    assert "[port_code_format]" in err and "[required]" in err and "[port_countries_format]" \
        in err and "Traceback" not in err
    assert main(["ports", "add", "mengding", "--zh", "孟定", "--my", "x", "--en", "y"]) == 1
    assert "[port_exists]" in capsys.readouterr().err  # an alias is taken too
    assert main(["ports", "add", "tengchong", "--zh", "腾冲", "--my", "တိန်ချုံး",
                 "--en", "Tengchong", "--countries", "CN-MM"]) == 0
    assert "port tengchong added" in capsys.readouterr().out
    assert main(["ports", "deactivate", "tengchong"]) == 0
    assert "deactivated" in capsys.readouterr().out
    assert _ports(capsys)["tengchong"]["active"] is False
    assert main(["ports", "deactivate", "atlantis"]) == 1
    assert "[port_not_found]" in capsys.readouterr().err
    assert main(["ports", "activate", "tengchong"]) == 0
    capsys.readouterr()
    assert _ports(capsys)["tengchong"]["active"] is True


def test_lanes_stand_at_an_active_port(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    lane = ["--type", "people", "--direction", "exit"]
    assert main(["lane", "add", "at-1", "--port", "atlantis", *lane]) == 1
    err = capsys.readouterr().err
    assert "port" in err and "[choice]" in err and "yonghe" in err
    assert main(["lane", "add", "yh-e1", "--port", "yonghe", *lane]) == 0
    assert main(["lane", "add", "md-e1", "--port", "mengding", *lane]) == 0  # the alias
    capsys.readouterr()
    assert main(["lane", "list", "--json"]) == 0
    assert {x["code"]: x["port"] for x in json.loads(capsys.readouterr().out)} == {
        "md-e1": "qingshuihe", "yh-e1": "yonghe"}
    assert _ports(capsys)["yonghe"]["lanes"] == 1
    assert main(["ports", "deactivate", "daluo"]) == 0
    assert main(["lane", "add", "dl-e1", "--port", "daluo", *lane]) == 1
    assert "[choice]" in capsys.readouterr().err


def test_ports_check_rate(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:  # R-G8
    assert main(["ports", "check-rate", "ruili", "100"]) == 0
    assert "100%" in capsys.readouterr().out
    for bad in ("101", "-1", "five"):
        assert main(["ports", "check-rate", "ruili", bad]) == 1
        assert "[percent]" in capsys.readouterr().err
    assert main(["ports", "check-rate", "nowhere", "5"]) == 1
    assert "[port_not_found]" in capsys.readouterr().err
