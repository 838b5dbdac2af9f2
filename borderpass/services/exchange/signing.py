"""Standard Webhooks signatures (https://www.standardwebhooks.com/): HMAC-SHA256 over
``"{webhook-id}.{webhook-timestamp}.{body}"`` with the secret's bytes, sent as
``webhook-signature: v1,<base64>``. The same scheme signs what we deliver and checks what
an agency sends (its ``agency-id`` header names the key); a GET signs its path and query."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
TOLERANCE = 300  # seconds a timestamp may be off, either way (replay window)


def new_secret() -> str:
    """A fresh secret in the Standard Webhooks form: whsec_ + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    text = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(text)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one message."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers."""
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, timestamp, body)}


def verify(secret: str, msg_id: str, timestamp: int, body: bytes, header: str) -> bool:
    """True when one of the space-separated ``v1,`` signatures matches (constant time)."""
    expected = sign(secret, msg_id, timestamp, body)
    return any(hmac.compare_digest(expected, candidate)
               for candidate in header.split(" ") if candidate.startswith("v1,"))


def fresh(timestamp: int, now: float, tolerance: int = TOLERANCE) -> bool:
    """True when the timestamp is within the tolerance of now."""
    return abs(now - timestamp) <= tolerance
