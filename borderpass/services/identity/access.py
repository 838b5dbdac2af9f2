"""Role checks shared by every service."""

from __future__ import annotations

from borderpass.core.errors import Forbidden
from borderpass.models import User


def require_role(user: User, *roles: str) -> None:
    """Refuse unless the user holds one of ``roles``."""
    if not user.has_role(*roles):
        raise Forbidden("role_required", roles=", ".join(roles))
