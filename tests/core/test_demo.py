"""The fake WeChat is a developer tool of the repository (borderpass_dev/), not shipped:
the package discovery leaves it out, and ``serve --demo`` says so where it is missing."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from setuptools import find_packages

from borderpass.app import demo
from borderpass.core.config import Settings

REPO = Path(__file__).resolve().parents[2]


def test_the_package_ships_no_fake() -> None:
    found = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = find_packages(str(REPO), include=found["packages"]["find"]["include"])
    assert "borderpass.core" in shipped
    assert not [p for p in shipped if p.startswith("borderpass_dev") or "fake" in p]
    assert not (REPO / "borderpass" / "core" / "fake_wechat").exists()


async def test_demo_starts_the_fake_from_a_checkout(tmp_path: Path) -> None:
    settings = await demo.start_demo(Settings(data_dir=tmp_path))
    assert settings.demo and settings.wechat_api_base.startswith("http://127.0.0.1:")


async def test_demo_without_the_checkout_says_why(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "borderpass_dev.fake_wechat", None)  # not importable
    with pytest.raises(SystemExit) as stop:
        await demo.start_demo(Settings(data_dir=tmp_path))
    assert "make demo" in str(stop.value.code)
