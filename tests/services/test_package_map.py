"""The package map of services/ (issue #24, docs/architecture.md): every module of a
subdomain package is either on its surface (`__all__`) or private to it, and the private
ones are exactly those the import-linter contracts of pyproject.toml protect."""

from __future__ import annotations

import importlib
import pkgutil
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUBDOMAINS = ("crossings", "filings", "gate", "identity", "privacy", "units")


def _protected() -> dict[str, set[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found: dict[str, set[str]] = {}
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["type"] != "protected":
            continue
        (package,) = contract["allowed_importers"]
        found[package] = {m.rsplit(".", 1)[1] for m in contract["protected_modules"]}
    return found


@pytest.mark.parametrize("name", SUBDOMAINS)
def test_every_module_is_on_the_surface_or_protected(name: str) -> None:
    package = importlib.import_module(f"borderpass.services.{name}")
    modules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    surface = set(package.__all__)
    private = _protected().get(package.__name__, set())
    assert not surface & private, "a module is both public and private"
    assert surface | private == modules, "classify each module: __all__ or the contract"


def test_no_flat_module_left_that_belongs_to_a_subdomain() -> None:
    import borderpass.services as services

    flat = {m.name for m in pkgutil.iter_modules(services.__path__) if not m.ispkg}
    assert flat == {"audit", "clock", "error_text", "idempotency", "office_hours", "ports",
                    "sweeps", "validators"}
