"""The Official Account menu: its buttons send the same commands a user can type."""

from __future__ import annotations

from typing import Any

from borderpass.core.wechat import WeChatClient

# WeChat allows one menu per account; button names are Chinese (≤ 16 bytes at the top).
MENU: dict[str, Any] = {"button": [
    {"name": "办理", "sub_button": [
        {"type": "click", "name": "车辆备案", "key": "file"},
        {"type": "click", "name": "出入境申报", "key": "declare"}]},
    {"name": "查询", "sub_button": [
        {"type": "click", "name": "状态和期限", "key": "status"},
        {"type": "click", "name": "我的通行码", "key": "pass"}]},
    {"name": "语言", "sub_button": [
        {"type": "click", "name": "中文 / မြန်မာ / English", "key": "language"},
        {"type": "click", "name": "帮助", "key": "help"}]},
]}


async def publish_menu(client: WeChatClient) -> dict[str, Any]:
    """Replace the account's menu with :data:`MENU`."""
    await client.create_menu(MENU)
    return MENU


def menu_command(settings: Any) -> int:
    """``borderpass wechat-menu``: publish the menu with the configured Official Account."""
    import asyncio

    from borderpass.core.kv import make_redis

    if not settings.oa_appid or not settings.oa_secret:
        print("set BORDERPASS_OA_APPID and BORDERPASS_OA_SECRET first")
        return 2

    async def run() -> None:
        redis = make_redis(settings.redis_url)
        async with WeChatClient(settings.oa_appid, settings.oa_secret, redis,
                                api_base=settings.wechat_api_base) as client:
            await publish_menu(client)
        await redis.aclose()

    asyncio.run(run())
    print("menu published")
    return 0
