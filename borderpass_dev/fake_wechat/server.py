"""The fake WeChat's HTTP side: routes, wire shapes, fault injection, start and stop."""

from __future__ import annotations

import asyncio
import email
import io
import json
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from typing import Any

import qrcode
from aiohttp import web

from borderpass_dev.fake_wechat import api, oa_users, rules
from borderpass_dev.fake_wechat.state import FakeWeChatState, RecordedRequest, WeChatFailure

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
AuthedOp = Callable[[FakeWeChatState, str, Any], dict[str, Any]]
AuthedQuery = Callable[[FakeWeChatState, str, Mapping[str, str]], dict[str, Any]]
JSON_TYPE = "application/json"


def _json(data: dict[str, Any], content_type: str = JSON_TYPE) -> web.Response:
    """Answer JSON the way WeChat does: UTF-8, Chinese unescaped, HTTP 200 even for errors."""
    return web.Response(
        text=json.dumps(data, ensure_ascii=False), content_type=content_type, charset="utf-8"
    )


def _failure(exc: WeChatFailure, content_type: str = JSON_TYPE) -> web.Response:
    """WeChat's error shape; errmsg ends with a request id, as the real ones do."""
    errmsg = f"{exc.errmsg}, rid: {uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:8]}"
    return _json({"errcode": exc.errcode, "errmsg": errmsg}, content_type)


async def _body(request: web.Request) -> Any:
    """Parse a JSON request body: empty → 44002, malformed → 47001."""
    raw = await request.read()
    if not raw.strip():
        raise WeChatFailure(44002, "empty post data")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise WeChatFailure(47001, "data format error") from exc


def wxacode_png(appid: str, scene: str, page: str, width: int = 430) -> bytes:
    """A PNG standing in for a mini-program code: a QR code carrying the scene and page."""
    image = qrcode.make(f"wxacode:{appid}/{page}?scene={scene}", box_size=max(width // 45, 2))
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


class FakeWeChat(FakeWeChatState):
    """A local WeChat API server speaking the real wire format, for tests and demos."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_get("/sns/jscode2session", self._code2session)
        self.app.router.add_post("/cgi-bin/stable_token", self._stable_token)
        self.app.router.add_post(
            "/cgi-bin/message/subscribe/send", self._authed(api.send_subscribe)
        )
        self.app.router.add_post("/cgi-bin/message/custom/send", self._authed(api.send_custom))
        self.app.router.add_post("/cgi-bin/message/template/send", self._authed(api.send_template))
        self.app.router.add_post("/cgi-bin/menu/create", self._authed(api.create_menu))
        self.app.router.add_post("/cgi-bin/menu/addconditional",
                                 self._authed(oa_users.add_conditional_menu))
        self.app.router.add_get("/cgi-bin/menu/delete", self._authed_get(oa_users.delete_menu))
        self.app.router.add_post("/cgi-bin/menu/trymatch", self._authed(oa_users.try_match))
        self.app.router.add_get("/cgi-bin/user/info", self._authed_get(oa_users.user_info))
        self.app.router.add_get("/cgi-bin/tags/get", self._authed_get(oa_users.tags_get))
        self.app.router.add_post("/cgi-bin/tags/create", self._authed(oa_users.tags_create))
        self.app.router.add_post("/cgi-bin/tags/members/batchtagging",
                                 self._authed(oa_users.batch_tagging))
        self.app.router.add_post("/cgi-bin/tags/members/batchuntagging",
                                 self._authed(oa_users.batch_untagging))
        self.app.router.add_get("/cgi-bin/media/get", self._media)
        self.app.router.add_post("/cgi-bin/media/upload", self._media_upload)
        self.app.router.add_post("/wxa/getwxacodeunlimit", self._wxacode)
        self.app.router.add_get("/_fake/messages", self._sent_messages)
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen (on a free port by default) and return the base URL, ending in '/'."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        bound_host, bound_port = sock.getsockname()[:2]
        self.base_url = f"http://{bound_host}:{bound_port}/"
        log.info("fake WeChat listening on %s (demo=%s)", self.base_url, self.demo)
        return self.base_url

    async def close(self) -> None:
        """Stop listening and drop open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record the request, apply an injected fault, render WeChat errors."""
        path = request.path.strip("/")
        self.requests.append(
            RecordedRequest(request.method, path, dict(request.query), await request.read())
        )
        fault = self.take_fault(path)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status is not None:
            return web.Response(status=fault.status, text=f"{fault.status} injected failure")
        content_type = "text/plain" if path == "sns/jscode2session" else JSON_TYPE
        try:
            if fault is not None and fault.errcode is not None:
                raise WeChatFailure(fault.errcode, fault.errmsg)
            return await handler(request)
        except WeChatFailure as exc:
            return _failure(exc, content_type)

    async def _code2session(self, request: web.Request) -> web.Response:
        # The real endpoint answers JSON labelled text/plain; clients must not trust the label.
        return _json(api.code2session(self, request.query), "text/plain")

    async def _stable_token(self, request: web.Request) -> web.Response:
        return _json(api.stable_token(self, await _body(request)))

    def _authed(self, op: AuthedOp) -> Handler:
        """Wrap a JSON endpoint that needs ``?access_token=``."""

        async def handler(request: web.Request) -> web.Response:
            appid = api.check_token(self, request.query.get("access_token"))
            return _json(op(self, appid, await _body(request)))

        return handler

    def _authed_get(self, op: AuthedQuery) -> Handler:
        """Wrap a GET endpoint that needs ``?access_token=`` and reads the query."""

        async def handler(request: web.Request) -> web.Response:
            appid = api.check_token(self, request.query.get("access_token"))
            return _json(op(self, appid, request.query))

        return handler

    async def _media(self, request: web.Request) -> web.Response:
        api.check_token(self, request.query.get("access_token"))
        media_id = request.query.get("media_id")
        media = api.get_media(self, media_id)
        disposition = f'attachment; filename="{media_id}"'
        return web.Response(
            body=media.data,
            content_type=media.content_type,
            headers={"Content-disposition": disposition},
        )

    async def _media_upload(self, request: web.Request) -> web.Response:
        """POST cgi-bin/media/upload (multipart ``media``): a temporary file, as WeChat keeps."""
        api.check_token(self, request.query.get("access_token"))
        kind = request.query.get("type", "")
        if kind not in ("image", "voice", "video", "thumb"):
            raise WeChatFailure(40004, "invalid media type")
        # The middleware has read the body already; parse the cached bytes as MIME.
        head = f"Content-Type: {request.headers.get('Content-Type', '')}\r\n\r\n".encode()
        form = email.message_from_bytes(head + await request.read())
        data, content_type = b"", "application/octet-stream"
        for part in form.walk() if form.is_multipart() else []:
            if part.get_param("name", header="content-disposition") == "media":
                payload = part.get_payload(decode=True)
                data = payload if isinstance(payload, bytes) else b""
                content_type = part.get_content_type()
        if not data:
            raise WeChatFailure(41005, "media data missing")
        media_id = self.add_media(data, content_type)
        return _json({"type": kind, "media_id": media_id, "created_at": int(self.now())})

    async def _wxacode(self, request: web.Request) -> web.Response:
        appid = api.check_token(self, request.query.get("access_token"))
        body = await _body(request)
        scene, page = rules.check_wxacode(body)
        self.wxacodes.append({"appid": appid, **body})
        png = await asyncio.to_thread(wxacode_png, appid, scene, page, int(body.get("width", 430)))
        return web.Response(body=png, content_type="image/png")

    async def _sent_messages(self, request: web.Request) -> web.Response:
        """Demo aid: what the fake has 'delivered', so a human can check with curl."""
        return _json({kind: [asdict(m) for m in sent] for kind, sent in self.sent.items()})
