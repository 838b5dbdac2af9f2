"""One callback to one reply: events and messages routed into the dialog engine under the
user's lock, the state saved, background work started after the lock is released."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from wechatpy.messages import BaseMessage

from borderpass.adapters import rows
from borderpass.adapters.wechat import WeChatError
from borderpass.bot import language_tags, limits
from borderpass.bot import texts as T
from borderpass.bot.basic import ask_language
from borderpass.bot.engine import Input, Turn, on_input, run_command
from borderpass.bot.oa_client import Follower
from borderpass.bot.runtime import BotRuntime
from borderpass.bot.storage import DialogState
from borderpass.core.i18n import LOCALES
from borderpass.models import User
from borderpass.services import notify
from borderpass.services.identity import chat_users

log = logging.getLogger("borderpass.bot")
CONTACT_EVERY = 600  # seconds between updates of the notification window (a DB write)
MENU_KEYS = frozenset({"file", "declare", "status", "pass", "language", "help"})
FOLLOWER_TIMEOUT = 1.5  # seconds for cgi-bin/user/info on first contact
FOLLOWER_RETRY = 300  # after a failed look-up, ask WeChat again at most every 5 minutes


@dataclass
class Reply:
    """What to answer: one passive message (text or image) and texts to push after it."""

    text: str | None = None
    media_id: str | None = None
    follow_up: list[str] = field(default_factory=list)


async def _follower(rt: BotRuntime, openid: str) -> Follower | None:
    """``cgi-bin/user/info`` within a short time; None (and a pause) if WeChat fails."""
    retry_key = f"bot:follower:retry:{openid}"
    if await rt.redis.exists(retry_key):
        return None
    try:
        return await asyncio.wait_for(rt.client.follower(openid), FOLLOWER_TIMEOUT)
    except (WeChatError, TimeoutError) as exc:
        log.warning("follower info unavailable, linking by unionid later",
                    extra={"error": type(exc).__name__})
        await rt.redis.set(retry_key, b"1", ex=FOLLOWER_RETRY)
        return None


async def _first_contact(rt: BotRuntime, openid: str, state: DialogState,
                         later: list[Follower]) -> tuple[User, bool]:
    """Who writes from ``openid``: their linked user, or the mini-program's user of the same
    unionid, or a new one (issue #4); True once the unionid question is settled."""
    known = await chat_users.linked_user(openid)
    if known is not None and known.unionid:
        _adopt_language(state, known)
        return known, True
    follower = await _follower(rt, openid)
    user = await chat_users.official_account_user(
        openid, follower.unionid if follower else None, locale=state.locale)
    if follower is not None:
        later.append(follower)
    if known is not None or user.openid is not None:  # not an account made just now
        _adopt_language(state, user)
    return user, follower is not None


def _adopt_language(state: DialogState, user: User) -> None:
    """A user who has an account already (the mini-program, or an earlier follow) has a
    stored language: greet and answer in it, never ask again (issue #18)."""
    if state.locale is None and user.locale in LOCALES:
        state.locale = user.locale


async def _user(rt: BotRuntime, openid: str, state: DialogState,
                later: list[Follower]) -> User:
    user = await rows.first(User, "id = {} AND is_active", state.user_id) \
        if state.user_id else None
    if user is None:
        user, settled = await _first_contact(rt, openid, state, later)
        state.user_id = user.id if settled else None
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
    followers: list[Follower] = []
    async with rt.storage.session(openid) as held:
        state = held.state
        turn = Turn(rt, openid, await _user(rt, openid, state, followers), state)
        await _route(turn, message)
        held.state = turn.state
    for job in turn.later:
        rt.spawn(job())
    for follower in followers:  # a language chosen in the mini-program picks the menu too
        rt.spawn(language_tags.apply(rt, openid, turn.locale, follower.tag_ids))
    texts = [*waiting, *turn.out]
    if turn.image:
        return Reply(None, turn.image, limits.fit(None, turn.locale, texts).follow_up)
    fitted = limits.fit("\n\n".join(texts) if texts else None, turn.locale)  # ≤ 2,048 bytes
    return Reply(fitted.passive, None, fitted.follow_up)
