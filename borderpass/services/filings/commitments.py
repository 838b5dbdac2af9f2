"""Credit commitments (信用承诺): versioned texts per locale, and consent with the text's hash.

The texts live in ``borderpass/locales/commitments/{kind}.{version}.{locale}.md``. A new
wording is a new version (never an edit of an old file), so the hash recorded at consent
always points at the exact words the person or unit agreed to (R-U3, R-U4). Kinds: the
personal and unit commitments of the credit pass list, and the filing commitment signed
when a vehicle filing is submitted, from the mini-program or the chat bot alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from borderpass.core.errors import FieldError
from borderpass.core.i18n import LOCALES
from borderpass.models import Filing, FilingCommitment, User
from borderpass.models.units import Commitment, Unit
from borderpass.services import clock

COMMITMENT_DIR = Path(__file__).resolve().parents[2] / "locales" / "commitments"
PERSONAL, UNIT, FILING = "personal", "unit", "filing"
CURRENT_VERSION = {PERSONAL: "v1", UNIT: "v1", FILING: "v1"}
MINIAPP, CHAT = "miniapp", "chat"  # the channels a consent can come through


@dataclass(frozen=True)
class CommitmentText:
    """One commitment text in one locale, and the sha256 of its UTF-8 bytes."""

    kind: str
    version: str
    locale: str
    text: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        """The text as the API and the bot show it."""
        return {"kind": self.kind, "version": self.version, "locale": self.locale,
                "text": self.text, "sha256": self.sha256}


@cache
def commitment_text(kind: str, version: str, locale: str) -> CommitmentText:
    """The stored text of one commitment version in one locale."""
    raw = (COMMITMENT_DIR / f"{kind}.{version}.{locale}.md").read_bytes()
    return CommitmentText(kind, version, locale, raw.decode("utf-8"),
                          hashlib.sha256(raw).hexdigest())


def current(kind: object, locale: str) -> CommitmentText:
    """The current version of a commitment kind in ``locale`` (zh_CN if unsupported)."""
    if kind not in CURRENT_VERSION:
        raise FieldError("choice", "kind", choices=", ".join(CURRENT_VERSION))
    assert isinstance(kind, str)
    return commitment_text(kind, CURRENT_VERSION[kind], locale if locale in LOCALES
                           else "zh_CN")


def check_consent(kind: str, payload: object, field: str = "commitment") -> CommitmentText:
    """The text agreed to by ``{version, locale, text_sha256, accepted}``, or a FieldError."""
    if not isinstance(payload, dict):
        raise FieldError("type_object", field)
    unknown = set(payload) - {"version", "locale", "text_sha256", "accepted"}
    if unknown:
        raise FieldError("unknown_field", f"{field}.{sorted(unknown)[0]}")
    if payload.get("accepted") is not True:
        raise FieldError("commitment_not_accepted", f"{field}.accepted")
    locale = payload.get("locale")
    if locale not in LOCALES:
        raise FieldError("choice", f"{field}.locale", choices=", ".join(LOCALES))
    if payload.get("version") != CURRENT_VERSION[kind]:
        raise FieldError("commitment_outdated", f"{field}.version",
                         version=CURRENT_VERSION[kind])
    assert isinstance(locale, str)
    text = commitment_text(kind, CURRENT_VERSION[kind], locale)
    if payload.get("text_sha256") != text.sha256:
        raise FieldError("commitment_text_mismatch", f"{field}.text_sha256")
    return text


async def record(user: User, unit: Unit, text: CommitmentText) -> Commitment:
    """Store the consent: who, for which unit, which text (version, locale, hash), when."""
    return await Commitment.create(kind=text.kind, version=text.version, locale=text.locale,
                                   text_sha256=text.sha256, signed_by=user, unit=unit,
                                   signed_at=clock.now())


def consent_of(text: CommitmentText) -> dict[str, Any]:
    """The consent payload for a text the user was shown and agreed to (the bot's answer)."""
    return {"version": text.version, "locale": text.locale, "text_sha256": text.sha256,
            "accepted": True}


async def record_for_filing(user: User, filing: Filing, text: CommitmentText,
                            channel: str) -> FilingCommitment:
    """Store a filing's consent: who, which text (version, locale, hash), when, which channel."""
    if channel not in (MINIAPP, CHAT):
        raise ValueError(f"unknown consent channel {channel!r}")
    return await FilingCommitment.create(
        filing=filing, signed_by=user, kind=text.kind, version=text.version,
        locale=text.locale, text_sha256=text.sha256, channel=channel, signed_at=clock.now())
