"""Fixtures of the gate bridge tests (staff and drivers log in with tests/conftest.py's)."""

from __future__ import annotations

import pytest

from borderpass.core.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app under test without the background ledger writer: tests flush it themselves."""
    return settings.with_overrides(gate_ledger_flush=0)
