"""Domain error family: each error carries a code, the field it concerns and an HTTP status.

Doors translate these into their own shape (JSON error, chat reply); the message text
comes from the gettext catalogs via :mod:`borderpass.core.i18n`, keyed by ``code``.
"""

from __future__ import annotations

from typing import Any


class BorderPassError(Exception):
    """Base of every error the domain raises on purpose."""

    status = 400
    default_code = "bad_request"

    def __init__(
        self, code: str | None = None, field: str | None = None, **params: Any
    ) -> None:
        self.code = code or self.default_code
        self.field = field
        self.params = params
        super().__init__(f"{self.code}" + (f" ({field})" if field else ""))


class FieldError(BorderPassError):
    """A request field is missing or invalid; nothing was changed."""

    status = 422
    default_code = "invalid"


class Unauthorized(BorderPassError):
    status = 401
    default_code = "unauthorized"


class Forbidden(BorderPassError):
    status = 403
    default_code = "forbidden"


class NotFound(BorderPassError):
    status = 404
    default_code = "not_found"


class Conflict(BorderPassError):
    """The request clashes with the current state (illegal transition, duplicate)."""

    status = 409
    default_code = "conflict"


class TooLarge(BorderPassError):
    status = 413
    default_code = "too_large"


class Unavailable(BorderPassError):
    """Temporarily over capacity; the client should retry after ``retry_after`` seconds."""

    status = 503
    default_code = "unavailable"

    def __init__(self, code: str | None = None, retry_after: int = 5, **params: Any) -> None:
        super().__init__(code, None, **params)
        self.retry_after = retry_after


class FieldErrors(BorderPassError):
    """Several fields are wrong at once; all are reported together (R-F6: 一次性告知)."""

    status = 422
    default_code = "invalid"

    def __init__(self, errors: list[FieldError]) -> None:
        first = errors[0]
        super().__init__(first.code, first.field, **first.params)
        self.errors = errors
