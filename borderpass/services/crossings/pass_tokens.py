"""The QR pass wire format: an Ed25519-signed compact credential plus a rotating TOTP code.

QR text = ``BP1`` + 6-digit code (RFC 6238, 30 s step) + base45(credential ‖ signature).
Every character is in the QR alphanumeric set, so a pass fits a version ≤ 10 symbol.
Pure functions: no database, no clock of their own (callers pass the time).
"""

from __future__ import annotations

import base64
import functools
import hmac
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

import base45
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

PREFIX = "BP1"
VERSION = 1
CODE_DIGITS = 6
STEP = 30  # seconds (RFC 6238 time step)
SKEW_STEPS = 1  # ±1 step tolerated for clock drift between phone and bridge
SIG_LEN = 64
DIRECTIONS = ("exit", "entry")
CATEGORIES = ("personal", "business", "official")
_HEAD = struct.Struct(">B4sIIIBB")  # version, kid, declaration id, from, until, dir, category


class TokenError(Exception):
    """The QR text is malformed, forged or signed by an unknown key; ``code`` says which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Credential:
    """The signed part of a pass: what the lane may trust without asking anyone."""

    kid: str
    declaration_id: int
    plate: str
    direction: str
    port: str
    category: str
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class Scanned:
    """A QR text split into its rotating code, its credential (decoded, and as ``text``, the
    base45 the phone showed) and, when first asked for, the signed bytes and signature:
    a credential equal to the one issued never needs them, and they are most of the text."""

    code: str
    credential: Credential
    text: str

    @functools.cached_property
    def _raw(self) -> bytes:
        try:
            return bytes(base45.b45decode(self.text))
        except (ValueError, TypeError, KeyError) as exc:
            raise TokenError("pass_malformed") from exc

    @property
    def signed(self) -> bytes:
        """The signed bytes (the packed credential)."""
        return self._raw[:-SIG_LEN]

    @property
    def signature(self) -> bytes:
        """The Ed25519 signature of :attr:`signed`."""
        return self._raw[-SIG_LEN:]


def _short(value: str, name: str) -> bytes:
    raw = value.encode()
    if len(raw) > 255:
        raise ValueError(f"{name} too long")
    return bytes([len(raw)]) + raw


def encode_credential(cred: Credential, key: Ed25519PrivateKey) -> str:
    """base45 of the packed credential followed by its Ed25519 signature."""
    kid = cred.kid.encode("ascii")
    if len(kid) != 4:
        raise ValueError("kid must be 4 ASCII characters")
    body = _HEAD.pack(
        VERSION, kid, cred.declaration_id, int(cred.valid_from.timestamp()),
        int(cred.valid_until.timestamp()), DIRECTIONS.index(cred.direction),
        CATEGORIES.index(cred.category),
    ) + _short(cred.port, "port") + _short(cred.plate, "plate")
    return str(base45.b45encode(body + key.sign(body)).decode("ascii"))


def qr_text(credential: str, code: str) -> str:
    """The QR content the phone shows: prefix, current code, credential."""
    return f"{PREFIX}{code}{credential}"


def _decode_body(body: bytes) -> Credential:
    try:
        version, kid, decl, start, end, direction, category = _HEAD.unpack_from(body)
        offset = _HEAD.size
        port = body[offset + 1: offset + 1 + body[offset]]
        offset += 1 + len(port)
        plate = body[offset + 1: offset + 1 + body[offset]]
        offset += 1 + len(plate)
        if version != VERSION or offset != len(body):
            raise TokenError("pass_malformed")
        return Credential(
            kid=kid.decode("ascii"), declaration_id=decl, plate=plate.decode(),
            direction=DIRECTIONS[direction], port=port.decode(), category=CATEGORIES[category],
            valid_from=datetime.fromtimestamp(start, UTC),
            valid_until=datetime.fromtimestamp(end, UTC),
        )
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise TokenError("pass_malformed") from exc


def parse(text: str) -> Scanned:
    """Split and decode a QR text; raises TokenError('pass_malformed') on any defect."""
    if not isinstance(text, str) or len(text) > 600 or not text.startswith(PREFIX):
        raise TokenError("pass_malformed")
    code = text[len(PREFIX): len(PREFIX) + CODE_DIGITS]
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        raise TokenError("pass_malformed")
    credential = text[len(PREFIX) + CODE_DIGITS:]
    whole, rest = divmod(len(credential), 3)  # base45: 3 characters → 2 bytes, 2 → 1
    if rest == 1:
        raise TokenError("pass_malformed")
    body_len = 2 * whole + (rest == 2) - SIG_LEN
    if body_len <= _HEAD.size + 2:
        raise TokenError("pass_malformed")
    try:  # only the characters that hold the credential: the signature waits for verify
        body = base45.b45decode(credential[: (body_len + 1) // 2 * 3])[:body_len]
    except (ValueError, TypeError, KeyError) as exc:
        raise TokenError("pass_malformed") from exc
    return Scanned(code, _decode_body(bytes(body)), credential)


def is_issued(scanned: Scanned, issued: str) -> bool:
    """True when the scanned credential is, byte for byte, the one the bridge issued (kept
    in the database): then it is genuine without checking its signature."""
    return hmac.compare_digest(scanned.text.encode(), issued.encode())


def verify(scanned: Scanned, public_key: Ed25519PublicKey | None) -> None:
    """Check the signature with the key named by the credential's kid (None: unknown kid)."""
    if public_key is None:
        raise TokenError("pass_unknown_key")
    if not _signature_valid(public_key.public_bytes_raw(), scanned.signed, scanned.signature):
        raise TokenError("pass_forged")


@functools.lru_cache(maxsize=8192)
def _signature_valid(raw_key: bytes, signed: bytes, signature: bytes) -> bool:
    """Ed25519 verification, remembered: a refused pass is often scanned again, and the
    check is the costliest step of a scan (about 0.1 ms)."""
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(signature, signed)
    except InvalidSignature:
        return False
    return True


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, CODE_DIGITS, SHA1(), STEP, enforce_key_length=False)


def current_code(secret: bytes, at: datetime) -> str:
    """The rotating code of ``secret`` at time ``at``."""
    return _totp(secret).generate(int(at.timestamp())).decode("ascii")


def code_matches(secret: bytes, code: str, at: datetime) -> bool:
    """True when ``code`` is the code of ``at``'s step or one step either side (the current
    step first: a phone with a set clock shows it)."""
    totp, now, given = _totp(secret), int(at.timestamp()), code.encode("ascii")
    return any(hmac.compare_digest(totp.generate(now + step * STEP), given)
               for step in (0, *range(-SKEW_STEPS, 0), *range(1, SKEW_STEPS + 1)))


def secret_b32(secret: bytes) -> str:
    """The secret as RFC 4648 base32 without padding, as TOTP apps and libraries take it."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def public_key_b64(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64 (for lane controllers' offline checks)."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
