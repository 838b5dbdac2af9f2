"""Fails when pyproject.toml asks for a package a lock in requirements/ lacks (run `make lock`)."""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"base": (), "test": ("test",), "paddle": ("paddle",), "paddle-test": ("paddle", "test")}


def _name(requirement: str) -> str:
    """The normalised distribution name of a PEP 508 requirement."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def main() -> int:
    """Compares each lock's pinned names with what pyproject.toml asks for its extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    missing = []
    for lock, extras in LOCKS.items():
        path = ROOT / "requirements" / f"{lock}.txt"
        pinned = {_name(line) for line in path.read_text().splitlines() if "==" in line}
        wanted = list(project["dependencies"])
        for extra in extras:
            wanted += project["optional-dependencies"][extra]
        missing += [f"{path.name}: {req}" for req in wanted if _name(req) not in pinned]
    for line in missing:
        print(f"not locked: {line}", file=sys.stderr)
    if missing:
        print("pyproject.toml changed without a new lock: run `make lock` and commit"
              " requirements/", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
