"""Fixtures of the unit tests: the shared login fixtures under the names these tests use."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def unit_login(login: Any) -> Any:
    """``await unit_login("alice")`` logs a WeChat user in through wx-login."""
    return login


@pytest.fixture
def unit_staff_login(staff_login: Any) -> Any:
    """``await unit_staff_login("admin")`` creates a staff user of that role and logs in."""
    return staff_login
