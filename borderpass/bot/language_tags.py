"""Language tags: the follower's chosen language as an Official Account tag, so WeChat shows
them the menu in that language (personalised menus match tags, see :mod:`bot.menu`).

Runs after the turn (never in the reply's path); a WeChat failure is logged and the menu
simply stays as it was until the next choice.
"""

from __future__ import annotations

import json
import logging

from borderpass.adapters.wechat import WeChatError
from borderpass.bot.menu import TAGS
from borderpass.bot.runtime import BotRuntime

log = logging.getLogger("borderpass.bot")
CACHE_KEY = "bot:menu:tags"
CACHE_TTL, MISSING_TTL = 3600, 60  # tags appear when `borderpass wechat-menu` runs


async def tag_ids(rt: BotRuntime) -> dict[str, int]:
    """Locale → tag id of the language tags that exist, cached in Redis."""
    cached = await rt.redis.get(CACHE_KEY)
    if cached is not None:
        return {str(k): int(v) for k, v in json.loads(cached).items()}
    existing = await rt.client.tags()
    ids = {loc: existing[name] for loc, name in TAGS.items() if name in existing}
    ttl = CACHE_TTL if len(ids) == len(TAGS) else MISSING_TTL
    await rt.redis.set(CACHE_KEY, json.dumps(ids), ex=ttl)
    return ids


def wanted(locale: str, current: tuple[int, ...], ids: dict[str, int]) -> bool:
    """True when the follower's tags do not show ``locale`` yet (WeChat reads the last)."""
    mine = ids.get(locale)
    others = set(ids.values()) - {mine}
    if mine is None:
        return bool(others & set(current))
    return not current or current[-1] != mine or bool(others & set(current))


async def apply(rt: BotRuntime, openid: str, locale: str,
                current: tuple[int, ...] | None = None) -> None:
    """Tag ``openid`` with the tag of ``locale`` and take the other language tags off."""
    try:
        ids = await tag_ids(rt)
        if current is not None and not wanted(locale, current, ids):
            return
        for tag_id in ids.values():  # ours too, so that re-tagging makes it the last
            await rt.client.untag_users(tag_id, [openid])
        if locale in ids:
            await rt.client.tag_users(ids[locale], [openid])
    except WeChatError as exc:
        log.warning("language tag not applied", extra={"error": str(exc), "locale": locale})
