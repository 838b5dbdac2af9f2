"""Scanning a unit's registration code in chat (QR scan event with a scene) — 单位申报码."""

from __future__ import annotations

from urllib.parse import quote

from borderpass.bot import texts as T
from borderpass.bot.engine import Turn
from borderpass.core.messages import error_message


async def scanned(turn: Turn, scene: str) -> None:
    """Name the unit and open its join page in the mini-program (R-U…: join there)."""
    from borderpass.services.units import units

    unit = await units.unit_for_scene(scene) if scene and len(scene) <= 64 else None
    if unit is None:
        turn.say(error_message("unit_code_unknown", turn.locale, {}))
        return
    settings = turn.rt.settings
    path = f"{settings.unit_join_page}?scene={quote(scene)}"
    link = (f'<a data-miniprogram-appid="{settings.miniapp_appid}" '
            f'data-miniprogram-path="{path}" href="{settings.public_url or "https://mp.weixin.qq.com"}">'
            f'{turn.t(T.OPEN_MINIAPP)}</a>') if settings.miniapp_appid else turn.t(T.OPEN_MINIAPP)
    turn.say(turn.t(T.UNIT_JOIN, unit=unit.name, link=link))
