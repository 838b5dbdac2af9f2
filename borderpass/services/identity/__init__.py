"""Identity: who someone is and how they sign in (docs/architecture.md).

Users, chat users and WeChat identities, staff accounts, passwords, sessions, the login
throttle, phone numbers and role checks (`access`). Doors and other packages import only
this package's surface (docs/architecture.md); the rest is private to it.
"""
