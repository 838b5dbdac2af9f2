"""One callback to one reply: events and messages routed into the dialog engine under the
user's lock, the state saved, background work started after the lock is released."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from wechatpy.messages import BaseMessage

from borderpass.bot import texts as T
from borderpass.bot.basic import ask_language
from borderpass.bot.engine import Input, Turn, on_input, run_command
from borderpass.bot.runtime import BotRuntime
from borderpass.bot.storage import DialogState
from borderpass.core.i18n import LOCALES
from borderpass.models import User
from borderpass.services import chat_users, notify

log = logging.getLogger("borderpass.bot")
CONTACT_EVERY = 600  # seconds between updates of the notification window (a DB write)
MENU_KEYS = frozenset({"file", "declare", "status", "pass", "language", "help"})


@dataclass
class Reply:
    """What to answer: one passive message (text or image) and texts to push after it."""

    text: str | None = None
    media_id: str | None = None
    follow_up: list[str] = field(default_factory=list)


async def _user(rt: BotRuntime, openid: str, state: DialogState) -> User:
    user = await User.get_or_none(id=state.user_id, is_active=True) if state.user_id else None
    if user is None:
        user = await chat_users.official_account_user(openid, locale=state.locale)
        state.user_id = user.id
    if await rt.redis.set(f"bot:contact:{openid}", b"1", nx=True, ex=CONTACT_EVERY):
        await notify.record_contact(openid)
    return user


async def _event(turn: Turn, message: BaseMessage) -> None:
    event = getattr(message, "event", "")
    if event in ("subscribe", "subscribe_scan"):
        if turn.state.locale is None:
            turn.say("\n".join(T.t(T.WELCOME, loc) for loc in LOCALES))
            await ask_language(turn, first=True)
        else:
            turn.say(turn.t(T.WELCOME) + "\n\n" + turn.t(T.HELP))
    if event in ("subscribe_scan", "scan"):
        from borderpass.bot.units import scanned

        await scanned(turn, str(getattr(message, "scene_id", "") or ""))
    elif event == "click":
        key = str(getattr(message, "key", ""))
        await run_command(turn, key if key in MENU_KEYS else "help")


async def _route(turn: Turn, message: BaseMessage) -> None:
    if message.type == "text":
        await on_input(turn, Input("text", text=str(message.content or "")[:500]))
    elif message.type == "image":
        await on_input(turn, Input("image", media_id=str(message.media_id or "")))
    elif message.type == "event":
        await _event(turn, message)
    else:
        turn.say(turn.t(T.UNKNOWN))


async def handle(rt: BotRuntime, message: BaseMessage) -> Reply:
    """Run one message or event through the dialog, with exactly the user's state."""
    openid = str(message.source)
    if message.type == "event" and getattr(message, "event", "") == "unsubscribe":
        async with rt.storage.lock(openid):
            await rt.storage.clear(openid)  # filings and declarations stay
        return Reply()
    waiting = await rt.delivery.touch(openid)
    async with rt.storage.lock(openid):
        state = await rt.storage.get(openid)
        turn = Turn(rt, openid, await _user(rt, openid, state), state)
        await _route(turn, message)
        await rt.storage.set(openid, turn.state)
    for job in turn.later:
        rt.spawn(job())
    texts = [*waiting, *turn.out]
    if turn.image:
        return Reply(None, turn.image, texts)
    return Reply("\n\n".join(texts) if texts else None)
