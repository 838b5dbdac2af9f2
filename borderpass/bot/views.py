"""``GET/POST /wechat/callback``: WeChat's URL check and its messages, answered within 4.5 s.

A turn that takes longer keeps running; its answer goes out as a customer-service message
and WeChat gets ``success`` now. Retries of a message get the first answer (dedupe).
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from borderpass.adapters.outage import answer_outage, outage_of
from borderpass.bot.dedupe import LATE, message_key
from borderpass.bot.dispatch import Reply, handle
from borderpass.bot.protocol import MAX_XML_BYTES, Inbound, ProtocolError
from borderpass.bot.runtime import BotRuntime
from borderpass.bot.storage import LockTimeout
from borderpass.core import metrics

log = logging.getLogger("borderpass.bot")
routes = web.RouteTableDef()
BOT = web.AppKey("bot", BotRuntime)
OUTAGE_HOLD = 1.0  # seconds past the reply deadline (4.5 s): past WeChat's 5 s wait


def _xml(text: str) -> web.Response:
    return web.Response(text=text, content_type="application/xml" if text != "success"
                        else "text/plain")


@routes.get("/wechat/callback")
async def verify(request: web.Request) -> web.Response:
    """WeChat's server URL check: echo ``echostr`` when the signature is right."""
    rt = request.app[BOT]
    try:
        return web.Response(text=rt.callback.verify_url(request.query))
    except ProtocolError as exc:
        return web.Response(status=exc.status, text="bad signature")


async def _body(request: web.Request) -> bytes:
    if (request.content_length or 0) > MAX_XML_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_XML_BYTES,
                                            actual_size=request.content_length or 0)
    body = await request.content.read(MAX_XML_BYTES + 1)
    if len(body) > MAX_XML_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_XML_BYTES, actual_size=len(body))
    return body


def _stored(reply: Reply) -> dict[str, object]:
    return {"text": reply.text, "media_id": reply.media_id}


async def _push_late(rt: BotRuntime, openid: str, task: asyncio.Task[Reply]) -> None:
    """The turn ran past the passive-reply deadline: deliver its answer by push."""
    try:
        reply = await task
    except Exception:
        log.exception("late bot turn failed")
        return
    if reply.media_id:
        await rt.delivery.send_image(openid, reply.media_id)
    for text in ([reply.text] if reply.text else []) + reply.follow_up:
        await rt.delivery.send_text(openid, text)


async def _follow_up(rt: BotRuntime, openid: str, texts: list[str]) -> None:
    for text in texts:
        await rt.delivery.send_text(openid, text)


@routes.post("/wechat/callback")
async def callback(request: web.Request) -> web.Response:
    """One message or event; the reply XML (encrypted in safe mode) or ``success``."""
    rt = request.app[BOT]
    body = await _body(request)
    try:
        inbound = rt.callback.decode(request.query, body)
    except ProtocolError as exc:
        log.info("wechat callback refused: %s", exc)
        return web.Response(status=exc.status, text=str(exc))
    started = time.monotonic()
    try:
        if not await rt.nonces.claim(inbound.timestamp, inbound.nonce, body):
            log.info("wechat callback refused: replayed timestamp and nonce")
            return web.Response(status=403, text="replayed")
        async with rt.slots:
            return await _answer(rt, inbound)
    except Exception as exc:
        if (service := outage_of(exc)) is None:
            raise
        return await _outage(rt, service, exc, started)


async def _outage(rt: BotRuntime, service: str, exc: Exception, started: float) -> web.Response:
    """Redis or the database away: nothing was answered or kept, so WeChat must send the
    message again. WeChat retries (3 times) only a request it got no answer to within 5 s;
    an error status is shown to the user as "this account cannot serve you now" and never
    retried. So the answer is held past WeChat's wait, then a 503 for the log."""
    err = await answer_outage(service, exc)
    await asyncio.sleep(max(0.0, rt.reply_deadline + OUTAGE_HOLD - (time.monotonic() - started)))
    return web.Response(status=err.status, text="", headers={"Retry-After": str(err.retry_after)})


async def _timed_turn(rt: BotRuntime, inbound: Inbound) -> Reply:
    """One turn, its time observed (``borderpass_bot_turn_seconds``), late ones included."""
    started = time.perf_counter()
    try:
        return await handle(rt, inbound.message)
    finally:
        metrics.BOT_TURN_SECONDS.observe(time.perf_counter() - started)


async def _answer(rt: BotRuntime, inbound: Inbound) -> web.Response:
    key = message_key(inbound.message)
    if not await rt.dedupe.claim(key):
        stored = await rt.dedupe.answer(key, rt.reply_deadline)
        return _render(rt, inbound, stored)
    task = asyncio.ensure_future(_timed_turn(rt, inbound))
    done, _ = await asyncio.wait({task}, timeout=rt.reply_deadline)
    openid = str(inbound.message.source)
    if not done:
        await rt.dedupe.finish(key, LATE)
        rt.spawn(_push_late(rt, openid, task))
        return _xml("success")
    try:
        reply = task.result()
    except LockTimeout:
        await rt.dedupe.finish(key, LATE)
        return _xml("success")
    except Exception:
        await rt.redis.delete(key)  # let WeChat's retry run the turn again
        raise
    await rt.dedupe.finish(key, _stored(reply))
    if reply.follow_up:
        rt.spawn(_follow_up(rt, openid, reply.follow_up))
    return _render(rt, inbound, _stored(reply))


def _render(rt: BotRuntime, inbound: Inbound, stored: dict[str, object] | None) -> web.Response:
    if not stored or stored.get("late"):
        return _xml("success")
    text, media = stored.get("text"), stored.get("media_id")
    return _xml(rt.callback.render(inbound, str(text) if text else None,
                                   str(media) if media else None))
