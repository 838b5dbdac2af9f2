"""Filings: a vehicle filed for crossing, from form to review (docs/rules.md R-F*).

Forms, checks, requirements, documents and their intake, prefill from profiles, review
and its claims, corrections and return reasons, renewals, commitments, validity and the
filing read. Doors and other packages import only this package's surface
(docs/architecture.md); the rest is private to it.
"""

# The surface: the modules doors and other packages may import (the rest are private,
# pyproject.toml's import-linter contracts say which; tests/test_architecture.py checks).
__all__ = [
    "commitments",
    "corrections",
    "document_intake",
    "documents",
    "filing_checks",
    "filing_forms",
    "filing_reveal",
    "filing_revocation",
    "filing_rows",
    "filing_validity",
    "filings",
    "letter_scope",
    "prefill",
    "profile_prefill",
    "profiles",
    "renewals",
    "requirements",
    "return_reasons",
    "review",
    "review_claims",
    "stay_limits",
    "subjects",
]
