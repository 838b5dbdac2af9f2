"""Crossings: declarations, trips and passes (docs/rules.md R-F7, R-F9).

A declaration opens or closes a trip, stay limits bound it, a pass (token, claim) is what
the lane scans; the blacklist and dishonesty records follow overstays and false
statements; land ports are the places crossed. Doors and other packages import only this
package's surface (docs/architecture.md); the rest is private to it.
"""
