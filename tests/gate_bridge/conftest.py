"""Fixtures of the gate bridge tests (staff and drivers log in with tests/conftest.py's)."""

from __future__ import annotations

import pytest

from borderpass.core.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app under test, as configured by tests/conftest.py."""
    return settings
