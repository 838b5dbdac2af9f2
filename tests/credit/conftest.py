"""Fixtures of the credit tests (R-P2): the fast lane's sample share per test."""

from __future__ import annotations

import pytest

from borderpass.core.config import Settings


@pytest.fixture
def share() -> float:
    """The fast lane's sample share (R-P2.6); tests parametrize it."""
    return 0.05


@pytest.fixture
def settings(settings: Settings, share: float) -> Settings:
    """The app's settings with this test's sample share."""
    return settings.with_overrides(credit_sample_share=share)
