"""Customer-service messages (客服消息) with WeChat's window: within 48 h of the user's
last message, at most 5 messages per contact. Outside it, texts wait for the next contact.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis

from borderpass.adapters.wechat import WeChatAPIError, WeChatClient, WeChatError
from borderpass.bot.limits import split_text

log = logging.getLogger(__name__)

WINDOW_SECONDS = 48 * 3600
PER_CONTACT = 5
PENDING_TTL = 7 * 24 * 3600
PENDING_MAX = 20
# 45015: out of the response window; 45047: too many messages since the user's last one.
_CLOSED_ERRCODES = frozenset({45015, 45047})
# Reopen the window and take the texts that waited for it, atomically, in one round trip:
# KEYS = window, pending; ARGV = now, window seconds.
TOUCH_SCRIPT = """
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'sent', '0')
redis.call('EXPIRE', KEYS[1], ARGV[2])
local waiting = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
return waiting
"""


class Delivery:
    """Send customer-service messages within the window, keep the rest for later."""

    def __init__(self, redis: Redis, client: WeChatClient) -> None:
        self.redis = redis
        self.client = client
        self._touch = redis.register_script(TOUCH_SCRIPT)

    async def touch(self, openid: str) -> list[str]:
        """The user wrote: reopen the window and hand back the texts that waited for it."""
        waiting = await self._touch(keys=[f"bot:window:{openid}", f"bot:pending:{openid}"],
                                    args=[str(time.time()), WINDOW_SECONDS])
        return [item.decode() if isinstance(item, bytes) else item for item in waiting]

    async def _open(self, openid: str) -> bool:
        """Count one message against the window; False when it is closed or used up."""
        key = f"bot:window:{openid}"
        if not await self.redis.exists(key):
            return False
        return int(await self.redis.hincrby(key, "sent", 1)) <= PER_CONTACT

    async def keep(self, openid: str, text: str) -> None:
        """Keep a text for the user's next contact."""
        key = f"bot:pending:{openid}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, text)
            pipe.ltrim(key, -PENDING_MAX, -1)
            pipe.expire(key, PENDING_TTL)
            await pipe.execute()

    async def send_text(self, openid: str, text: str) -> bool:
        """Push a text now if the window allows, else keep it; True when all was sent. A text
        over WeChat's limit goes as several messages, in order (issue #18)."""
        sent = True
        for part in split_text(text):
            sent = await self._send_part(openid, part) and sent
        return sent

    async def _send_part(self, openid: str, text: str) -> bool:
        if await self._open(openid):
            try:
                await self.client.send_custom_message(openid, "text", {"content": text})
                return True
            except WeChatAPIError as exc:
                if exc.errcode not in _CLOSED_ERRCODES:
                    log.warning("custom message to a chat user failed: %s", exc.errcode)
            except WeChatError as exc:
                log.warning("custom message to a chat user failed: %s", exc)
        await self.keep(openid, text)
        return False

    async def send_image(self, openid: str, media_id: str) -> bool:
        """Push an image within the window (an image that waits would be stale)."""
        if not await self._open(openid):
            return False
        try:
            await self.client.send_custom_message(openid, "image", {"media_id": media_id})
        except WeChatError as exc:
            log.warning("custom image to a chat user failed: %s", exc)
            return False
        return True
