"""The ways a push reaches a user, as a protocol that app/wechat_push.py implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

SUBSCRIBE_THING_LIMIT = 20  # WeChat's limit on a subscribe message's ``thing`` field


class Channel(StrEnum):
    """Mini-program subscribe message, OA customer-service message, OA template message."""

    SUBSCRIBE = "subscribe"
    CUSTOM = "custom"
    TEMPLATE = "template"


# Only the template message carries an idempotency key WeChat honours (client_msg_id).
IDEMPOTENT = frozenset({Channel.TEMPLATE})
IDEMPOTENCY_WINDOW_SECONDS = 9 * 60  # WeChat keeps a client_msg_id for 10 minutes


class Refusal(StrEnum):
    """Why a channel refused one message; the sender moves on to the next channel."""

    NO_GRANT = "no_grant"  # 43101: the user gave no subscribe grant (or it was used up)
    WINDOW_CLOSED = "window_closed"  # 45015: outside the 48-hour customer-service window
    NOT_FOLLOWER = "not_follower"  # 43004: the user no longer follows the Official Account
    BAD_RECIPIENT = "bad_recipient"  # 40003: the openid is not known to this app
    REJECTED = "rejected"  # anything else WeChat refuses (bad template, bad data …)


class PushRefused(Exception):
    """WeChat answered and refused the message: retrying the same call will not help."""

    def __init__(self, reason: Refusal, errcode: int | None = None, detail: str = "") -> None:
        super().__init__(f"{reason.value} ({errcode}): {detail}")
        self.reason = reason
        self.errcode = errcode
        self.detail = detail


class PushUnavailable(Exception):
    """WeChat could not be asked, or did not answer; ``ambiguous`` if it may have sent it."""

    def __init__(self, detail: str, *, ambiguous: bool = False, errcode: int | None = None
                 ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.ambiguous = ambiguous
        self.errcode = errcode


@dataclass(frozen=True)
class Link:
    """A mini-program page a message opens, with the words that show it."""

    page: str
    text: str


class PushTransport(Protocol):
    """Send one message by one channel; raises PushRefused or PushUnavailable."""

    async def subscribe(self, openid: str, template_id: str, data: Mapping[str, str],
                        page: str | None, lang: str) -> str | None: ...

    async def custom_text(self, openid: str, text: str, link: Link | None) -> None: ...

    async def template(self, openid: str, template_id: str, data: Mapping[str, str],
                       link: Link | None, client_msg_id: str) -> str | None: ...


@dataclass(frozen=True)
class NotifyConfig:
    """Which channels are configured: template ids per slot, whether an OA is connected."""

    subscribe_templates: Mapping[str, str] = field(default_factory=dict)
    oa_templates: Mapping[str, str] = field(default_factory=dict)
    official_account: bool = False
    default_tz: str = "Asia/Shanghai"
    batch: int = 200
    concurrency: int = 32
    lease_seconds: int = 120
