"""Units: enterprises and their vehicles, drivers and members (docs/units.md).

Members, invitation codes, removals, the checks on a unit's drivers and vehicles, the
notices sent to members and the unit export (its request fields' labels are with every
other field's, in ``filings.requirements.field_label``). Doors and other packages import
only this package's surface (docs/architecture.md); the rest is private to it.
"""

# The surface: the modules doors and other packages may import (the rest are private,
# pyproject.toml's import-linter contracts say which; tests/test_architecture.py checks).
__all__ = [
    "unit_codes",
    "unit_export",
    "unit_members",
    "unit_notices",
    "unit_removals",
    "units",
]
