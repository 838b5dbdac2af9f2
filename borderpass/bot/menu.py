"""The Official Account menus — 自定义菜单: a Chinese default menu and personalised menus for
English and Burmese readers; every button sends a command a user could also type.

Why tags and not the client's language: WeChat's ``language`` matchrule never had Burmese
(its list is zh_CN, zh_TW, zh_HK, en, id, ms, es, ko, it, ja, pl, pt, ru, th, vi, ar, hi,
he, tr, de, fr), and WeChat has since stopped matching menus on privacy data: a rule with
``language``, ``sex`` or a region is refused with errcode 65320. So both personalised
menus match a user **tag** (``tag_id``): the bot tags a follower when they choose English
or Burmese and untags them when they choose Chinese (:mod:`borderpass.bot.language_tags`).
WeChat matches the tag put on a user last, so a tag an operator adds later hides ours.
"""

from __future__ import annotations

import logging
from typing import Any

from borderpass.bot.oa_client import OfficialAccountClient
from borderpass.core.i18n import N_, translate

log = logging.getLogger("borderpass.bot")

MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5  # WeChat's limits per menu
MAX_NAME_BYTES, MAX_SUB_NAME_BYTES = 16, 60  # UTF-8 bytes: 5 Myanmar letters at the top
MAX_KEY_BYTES = 128
DEFAULT_LOCALE = "zh_CN"
# Language tags: the personalised menu of a locale matches followers with its tag.
TAGS = {"en": "BorderPass en", "my": "BorderPass my"}
LANGUAGE_BUTTON = "中文 / မြန်မာ / English"  # the same in every menu, so anyone finds it
LAYOUT: list[tuple[str, list[tuple[str, str]]]] = [
    (N_("办理"), [(N_("车辆备案"), "file"), (N_("出入境申报"), "declare")]),
    (N_("查询"), [(N_("状态和期限"), "status"), (N_("我的通行码"), "pass")]),
    (N_("更多"), [(LANGUAGE_BUTTON, "language"), (N_("帮助"), "help")]),
]


class MenuError(Exception):
    """A menu breaks one of WeChat's limits; nothing was published."""


def _label(source: str, locale: str) -> str:
    return source if source == LANGUAGE_BUTTON else translate(source, locale)


def build_menu(locale: str) -> dict[str, Any]:
    """The menu in ``locale``, labels from the catalogs, checked against WeChat's limits."""
    menu = {"button": [
        {"name": _label(top, locale),
         "sub_button": [{"type": "click", "name": _label(name, locale), "key": key}
                        for name, key in subs]}
        for top, subs in LAYOUT]}
    check_limits(menu, locale)
    return menu


def check_limits(menu: dict[str, Any], locale: str = "") -> None:
    """Refuse more than 3 buttons, 5 sub-buttons, or names over 16 / 60 UTF-8 bytes."""
    buttons = menu.get("button") or []
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        raise MenuError(f"{locale}: {len(buttons)} buttons; WeChat allows 1 to {MAX_BUTTONS}")
    for button in buttons:
        _check_name(button, MAX_NAME_BYTES, locale)
        subs = button.get("sub_button") or []
        if len(subs) > MAX_SUB_BUTTONS:
            raise MenuError(f"{locale}: {button['name']!r} has {len(subs)} sub-buttons; "
                            f"WeChat allows {MAX_SUB_BUTTONS}")
        for sub in subs:
            _check_name(sub, MAX_SUB_NAME_BYTES, locale)
            if len(str(sub.get("key", "")).encode()) > MAX_KEY_BYTES:
                raise MenuError(f"{locale}: key of {sub['name']!r} is over {MAX_KEY_BYTES} "
                                "bytes")


def _check_name(button: dict[str, Any], limit: int, locale: str) -> None:
    size = len(str(button.get("name", "")).encode())
    if not 0 < size <= limit:
        raise MenuError(f"{locale}: button name {button.get('name')!r} is {size} bytes; "
                        f"WeChat allows 1 to {limit}")


def all_menus() -> dict[str, dict[str, Any]]:
    """The default menu and every personalised one, all checked before anything is sent."""
    return {loc: build_menu(loc) for loc in (DEFAULT_LOCALE, *TAGS)}


async def ensure_tags(client: OfficialAccountClient) -> dict[str, int]:
    """The id of each language tag, creating the missing ones."""
    existing = await client.tags()
    ids = {}
    for locale, name in TAGS.items():
        ids[locale] = existing[name] if name in existing else await client.create_tag(name)
    return ids


async def publish_menus(client: OfficialAccountClient) -> dict[str, Any]:
    """Replace every menu: the Chinese default, then one personalised menu per tag.

    ``menu/delete`` first, because personalised menus cannot be edited (only added) and
    WeChat tries them newest first; the account shows no menu for the moment in between.
    """
    menus = all_menus()
    tags = await ensure_tags(client)
    await client.delete_menus()
    await client.create_menu(menus[DEFAULT_LOCALE])
    published: dict[str, Any] = {DEFAULT_LOCALE: {"default": True}}
    for locale in TAGS:
        rule = {"tag_id": str(tags[locale])}
        menuid = await client.add_conditional_menu({**menus[locale], "matchrule": rule})
        published[locale] = {"tag_id": tags[locale], "menuid": menuid}
    log.info("official account menus published", extra={"menus": published})
    return published


def menu_command(settings: Any) -> int:
    """``borderpass wechat-menu``: publish the menus with the configured Official Account."""
    import asyncio

    from borderpass.adapters.kv import make_redis
    from borderpass.adapters.wechat import WeChatError

    if not settings.oa_appid or not settings.oa_secret:
        print("set BORDERPASS_OA_APPID and BORDERPASS_OA_SECRET first")
        return 2

    async def run() -> dict[str, Any]:
        redis = make_redis(settings.redis_url)
        client = OfficialAccountClient(settings.oa_appid, settings.oa_secret, redis,
                                       api_base=settings.wechat_api_base)
        try:
            return await publish_menus(client)
        finally:
            await client.close()
            await redis.aclose()

    try:
        published = asyncio.run(run())
    except (MenuError, WeChatError) as exc:
        print(f"menu not published: {exc}")
        return 1
    for locale, what in published.items():
        target = "default menu" if what.get("default") else \
            f"tag {what['tag_id']}, menuid {what['menuid']}"
        print(f"menu {locale}: {target}")
    return 0
