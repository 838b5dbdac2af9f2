"""Filings: a vehicle filed for crossing, from form to review (docs/rules.md R-F*).

Forms, checks, requirements, documents and their intake, prefill from profiles, review
and its claims, corrections and return reasons, renewals, commitments, validity and the
filing read. Doors and other packages import only this package's surface
(docs/architecture.md); the rest is private to it.
"""
