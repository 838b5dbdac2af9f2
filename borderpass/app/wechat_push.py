"""The notify context's PushTransport over WeChatClient: WeChat's errors → push outcomes."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Mapping
from typing import TypeVar

import aiohttp
from redis.exceptions import RedisError

from borderpass.adapters.wechat import WeChatAPIError, WeChatClient, WeChatError, WeChatUnavailable
from borderpass.services.notify.channels import Link, PushRefused, PushUnavailable, Refusal

REFUSALS = {
    43101: Refusal.NO_GRANT,  # user refuse to accept the msg
    45015: Refusal.WINDOW_CLOSED,  # response out of time limit
    43004: Refusal.NOT_FOLLOWER,  # require subscribe
    40003: Refusal.BAD_RECIPIENT,  # invalid openid
}
# Token trouble left after the client's own refresh, busy, quota: try again later.
RETRYABLE = frozenset({-1, 40001, 40014, 42001, 45009, 45011, 45047})
T = TypeVar("T")
SUBSCRIBE_LANG = {"zh_CN": "zh_CN", "en": "en_US", "my": "en_US"}


def _unavailable(exc: WeChatUnavailable) -> PushUnavailable:
    """Ambiguous unless the request surely never reached WeChat (connect failed) or got 5xx."""
    cause = exc.__cause__
    unsent = isinstance(
        cause, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError | RedisError)
    answered = cause is None  # HTTP 5xx: WeChat's front answered, the message was not taken
    return PushUnavailable(str(exc), ambiguous=not (unsent or answered))


class WeChatPush:
    """Subscribe messages through the mini-program, custom and template ones through the OA."""

    def __init__(self, miniapp: WeChatClient | None, official: WeChatClient | None,
                 miniapp_appid: str = "") -> None:
        self._miniapp = miniapp
        self._official = official
        self._miniapp_appid = miniapp_appid

    async def _guard(self, call: Awaitable[T]) -> T:
        """Await one WeChat call, translating its errors for the sender."""
        try:
            return await call
        except WeChatAPIError as exc:
            if exc.errcode in REFUSALS:
                raise PushRefused(REFUSALS[exc.errcode], exc.errcode, exc.errmsg) from exc
            if exc.transient or exc.errcode in RETRYABLE:
                raise PushUnavailable(exc.errmsg, errcode=exc.errcode) from exc
            raise PushRefused(Refusal.REJECTED, exc.errcode, exc.errmsg) from exc
        except WeChatUnavailable as exc:
            raise _unavailable(exc) from exc
        except WeChatError as exc:
            raise PushUnavailable(str(exc), ambiguous=True) from exc

    def _client(self, client: WeChatClient | None) -> WeChatClient:
        if client is None:
            raise PushRefused(Refusal.REJECTED, None, "channel not configured")
        return client

    async def subscribe(self, openid: str, template_id: str, data: Mapping[str, str],
                        page: str | None, lang: str) -> str | None:
        """A mini-program subscribe message (uses one of the user's grants)."""
        client = self._client(self._miniapp)
        msgid = await self._guard(client.send_subscribe_message(
            openid, template_id, data, page, lang=SUBSCRIBE_LANG.get(lang, "zh_CN")))
        return None if msgid is None else str(msgid)

    async def custom_text(self, openid: str, text: str, link: Link | None) -> None:
        """A customer-service text, with a tappable mini-program link when one is set up."""
        client = self._client(self._official)
        if link is not None and self._miniapp_appid:
            text += (f'\n<a data-miniprogram-appid="{html.escape(self._miniapp_appid)}" '
                     f'data-miniprogram-path="{html.escape(link.page)}">'
                     f"{html.escape(link.text)}</a>")
        await self._guard(client.send_custom_message(openid, "text", {"content": text}))

    async def template(self, openid: str, template_id: str, data: Mapping[str, str],
                       link: Link | None, client_msg_id: str) -> str | None:
        """An Official Account template message, deduplicated by WeChat on client_msg_id."""
        client = self._client(self._official)
        mini = {"appid": self._miniapp_appid, "pagepath": link.page} \
            if link is not None and self._miniapp_appid else None
        msgid = await self._guard(client.send_template_message(
            openid, template_id, data, miniprogram=mini, client_msg_id=client_msg_id))
        return None if msgid is None else str(msgid)
