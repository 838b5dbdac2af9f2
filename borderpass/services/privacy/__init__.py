"""Personal data over its life: keys, exports, retention, erasure (R-U7).

Per-subject keys and resealing, a subject's data export (and an organisation's), the
retention sweep and erasure (docs/personal-data-lifecycle.md). Doors and other packages
import only this package's surface (docs/architecture.md); the rest is private to it.
"""

# The surface: the modules doors and other packages may import (the rest are private,
# pyproject.toml's import-linter contracts say which; tests/test_architecture.py checks).
__all__ = [
    "data_export",
    "erasure",
    "privacy",
    "resealing",
    "retention",
    "subject_keys",
]
