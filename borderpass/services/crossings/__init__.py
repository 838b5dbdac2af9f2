"""Crossings: declarations, trips and passes (docs/rules.md R-F7, R-F9).

A declaration opens or closes a trip, stay limits bound it, a pass (token, claim) is what
the lane scans; the blacklist and dishonesty records follow overstays and false
statements; land ports are the places crossed. Doors and other packages import only this
package's surface (docs/architecture.md); the rest is private to it.
"""

# The surface: the modules doors and other packages may import (the rest are private,
# pyproject.toml's import-linter contracts say which; tests/test_architecture.py checks).
__all__ = [
    "blacklist",
    "declarations",
    "dishonesty",
    "land_ports",
    "pass_tokens",
    "passes",
    "trip_record",
]
