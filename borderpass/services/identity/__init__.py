"""Identity: who someone is and how they sign in (docs/logins.md).

Users, chat users and WeChat identities, staff accounts, passwords, sessions, the login
throttle, phone numbers and role checks (`access`). Doors and other packages import only
this package's surface (docs/architecture.md); the rest is private to it.
"""

# The surface: the modules doors and other packages may import (the rest are private,
# pyproject.toml's import-linter contracts say which; tests/test_architecture.py checks).
__all__ = [
    "access",
    "chat_users",
    "passwords",
    "phones",
    "sessions",
    "staff",
    "users",
]
