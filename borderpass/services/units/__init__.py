"""Units: enterprises and their vehicles, drivers and members (docs/units.md).

Members, invitation codes, removals, the checks on a unit's drivers and vehicles, the
notices sent to members, labels and the unit export. Doors and other packages import only
this package's surface (docs/architecture.md); the rest is private to it.
"""
