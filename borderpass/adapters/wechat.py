"""The one place that talks to WeChat's HTTP APIs, for the mini-program and the Official Account.

Why aiohttp and not ``wechatpy.client.WeChatClient``: wechatpy's client is synchronous
(requests) and would need a worker thread per in-flight call; it fetches tokens through
``cgi-bin/token``, where every fetch invalidates the previous token, keeps them in a
per-process store without a lock (so N processes evict each other's token), and has no
``cgi-bin/stable_token``. The calls we need are a handful of small JSON requests, so we speak
them with aiohttp on the event loop, share the token through Redis under a lock, and take
from wechatpy what it does well: its table of WeChat error codes here, and its signature,
AES crypto and XML parse/reply parts in the bot door.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError
from wechatpy.constants import WeChatErrorCode

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com/"
TOKEN_KEY = "wechat:token:{appid}"
TOKEN_LOCK_KEY = "wechat:token:{appid}:lock"

# Any of these means "the token you sent is no longer good": refresh once, then retry.
_TOKEN_ERRCODES = frozenset(
    {
        WeChatErrorCode.INVALID_CREDENTIAL.value,
        WeChatErrorCode.INVALID_ACCESS_TOKEN.value,
        WeChatErrorCode.EXPIRED_ACCESS_TOKEN.value,
    }
)
_TRANSIENT_ERRCODES = frozenset(
    {WeChatErrorCode.SYSTEM_BUSY.value, WeChatErrorCode.API_MINUTE_QUOTA_REACH_LIMIT.value}
)


class WeChatError(Exception):
    """Base of every error this module raises."""


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached, timed out or answered 5xx; a later retry may succeed."""


class WeChatAPIError(WeChatError):
    """WeChat answered ``{"errcode": n, "errmsg": ...}`` with n != 0."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        super().__init__(f"WeChat errcode {errcode}: {errmsg}")

    @property
    def transient(self) -> bool:
        """True when WeChat asks us to slow down or is busy, so the outbox should retry."""
        return self.errcode in _TRANSIENT_ERRCODES


@dataclass(frozen=True)
class Code2Session:
    """A mini-program login from ``code2Session``; ``session_key`` stays on the server."""

    openid: str
    unionid: str | None
    session_key: str = field(repr=False)


def _text(value: bytes | str | None) -> str | None:
    """Decode what Redis returns, whether or not the client decodes responses."""
    return value.decode() if isinstance(value, bytes) else value


def _wrap_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Wrap plain values as WeChat's ``{"thing1": {"value": "x"}}``; keep dicts as given."""
    return {k: v if isinstance(v, Mapping) else {"value": v} for k, v in data.items()}


def _is_json(payload: bytes) -> bool:
    """Tell a JSON answer from a file: WeChat sends errors as JSON where it sends files."""
    return payload.lstrip()[:1] == b"{"


def _errcode(payload: bytes) -> int:
    """Read the errcode of a JSON answer, 0 if absent or unreadable."""
    try:
        return int(json.loads(payload).get("errcode") or 0)
    except (ValueError, AttributeError, TypeError):
        return 0


def _parse(path: str, payload: bytes) -> dict[str, Any]:
    """Decode a JSON answer and raise ``WeChatAPIError`` for a non-zero errcode."""
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise WeChatError(f"{path}: answer is not JSON") from exc
    if not isinstance(data, dict):
        raise WeChatError(f"{path}: answer is not a JSON object")
    errcode = _errcode(payload)
    if errcode:
        log.info("wechat %s answered errcode %s", path, errcode)
        raise WeChatAPIError(errcode, str(data.get("errmsg", "")))
    return data


class WeChatClient:
    """Async client for one WeChat app (a mini-program or an Official Account)."""

    def __init__(
        self,
        appid: str,
        secret: str,
        store: Redis,
        *,
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 10.0,
        refresh_margin: int = 300,
        session: aiohttp.ClientSession | None = None,
        memo_seconds: float = 0.0,
    ) -> None:
        self.appid = appid
        self._secret = secret
        self._store = store
        self._api_base = api_base if api_base.endswith("/") else api_base + "/"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._lock_ttl_ms = int((timeout * 2 + 5) * 1000)
        self._refresh_margin = refresh_margin
        self._session = session
        self._owns_session = session is None
        self._local_lock = asyncio.Lock()
        # A busy sender may keep the shared token in memory for a few seconds instead of
        # asking Redis on every call; a token revoked meanwhile answers 40001 and is refreshed.
        self._memo_seconds = memo_seconds
        self._memo: tuple[str, float] | None = None
        self._token_key = TOKEN_KEY.format(appid=appid)
        self._lock_key = TOKEN_LOCK_KEY.format(appid=appid)

    def __repr__(self) -> str:
        return f"WeChatClient(appid={self.appid!r}, api_base={self._api_base!r})"

    async def __aenter__(self) -> WeChatClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client opened it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    # -- mini-program ---------------------------------------------------------------

    async def code2session(self, js_code: str) -> Code2Session:
        """Exchange a ``wx.login`` code for the user's openid (and unionid, session_key)."""
        params = {
            "appid": self.appid,
            "secret": self._secret,
            "js_code": js_code,
            "grant_type": "authorization_code",
        }
        data = _parse("sns/jscode2session", await self._send("GET", "sns/jscode2session", params))
        try:
            return Code2Session(data["openid"], data.get("unionid"), data["session_key"])
        except KeyError as exc:
            raise WeChatError("sns/jscode2session: answer lacks openid or session_key") from exc

    async def send_subscribe_message(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        page: str | None = None,
        *,
        lang: str | None = None,
        miniprogram_state: str | None = None,
    ) -> int | None:
        """Push a subscribe message (consumes one grant of the user); returns WeChat's msgid."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": _wrap_data(data),
        }
        optional = {"page": page, "lang": lang, "miniprogram_state": miniprogram_state}
        body.update({k: v for k, v in optional.items() if v is not None})
        result = await self._call("POST", "cgi-bin/message/subscribe/send", body=body)
        return result.get("msgid")

    async def get_unlimited_wxacode(
        self,
        scene: str,
        page: str,
        *,
        check_path: bool = True,
        width: int = 430,
        env_version: str | None = None,
    ) -> bytes:
        """Fetch a mini-program code image for ``page`` carrying ``scene`` (≤ 32 chars)."""
        body: dict[str, Any] = {
            "scene": scene,
            "page": page,
            "check_path": check_path,
            "width": width,
        }
        if env_version is not None:
            body["env_version"] = env_version
        return await self._call_binary("POST", "wxa/getwxacodeunlimit", body=body)

    # -- Official Account -----------------------------------------------------------

    async def send_custom_message(
        self, openid: str, msgtype: str, payload: Mapping[str, Any]
    ) -> None:
        """Send a customer-service message; allowed within 48 h of the user's last message."""
        body = {"touser": openid, "msgtype": msgtype, msgtype: dict(payload)}
        await self._call("POST", "cgi-bin/message/custom/send", body=body)

    async def send_template_message(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, Any],
        url: str | None = None,
        *,
        miniprogram: Mapping[str, str] | None = None,
        client_msg_id: str | None = None,
    ) -> int | None:
        """Send an Official Account template message; returns WeChat's msgid.

        WeChat sends one message per openid and ``client_msg_id`` within 10 minutes, so a
        retry after a lost answer is safe within that time.
        """
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": _wrap_data(data),
        }
        if url is not None:
            body["url"] = url
        if miniprogram is not None:
            body["miniprogram"] = dict(miniprogram)
        if client_msg_id is not None:
            body["client_msg_id"] = client_msg_id
        result = await self._call("POST", "cgi-bin/message/template/send", body=body)
        return result.get("msgid")

    async def download_media(self, media_id: str) -> bytes:
        """Download a temporary media file (e.g. a photo the user sent the bot)."""
        return await self._call_binary("GET", "cgi-bin/media/get", params={"media_id": media_id})

    async def create_menu(self, menu: Mapping[str, Any]) -> None:
        """Replace the Official Account's custom menu with ``menu`` (``{"button": [...]}``)."""
        await self._call("POST", "cgi-bin/menu/create", body=dict(menu))

    # -- access token ---------------------------------------------------------------

    async def access_token(self) -> str:
        """Return the app's access token, shared by every process through the store."""
        now = asyncio.get_running_loop().time()
        if self._memo is not None and now < self._memo[1]:
            return self._memo[0]
        token = await self._cached_token() or await self._refresh_token(stale=None)
        if self._memo_seconds > 0:
            self._memo = (token, now + self._memo_seconds)
        return token

    async def _cached_token(self) -> str | None:
        try:
            return _text(await self._store.get(self._token_key))
        except RedisError as exc:
            raise WeChatUnavailable("token store unavailable") from exc

    async def _refresh_token(self, stale: str | None) -> str:
        """Get a token other than ``stale``, letting one refresher at a time call WeChat."""
        try:
            async with self._local_lock:
                return await self._refresh_token_locked(stale)
        except RedisError as exc:
            raise WeChatUnavailable("token store unavailable") from exc

    async def _refresh_token_locked(self, stale: str | None) -> str:
        """Wait for the cross-process lock (SET NX PX) or for another process's fresh token."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._lock_ttl_ms / 1000
        while True:
            token = await self._cached_token()
            if token and token != stale:
                return token
            nonce = secrets.token_hex(8)
            if await self._store.set(self._lock_key, nonce, nx=True, px=self._lock_ttl_ms):
                try:
                    token = await self._cached_token()
                    if token and token != stale:
                        return token
                    return await self._fetch_stable_token()
                finally:
                    await self._release_lock(nonce)
            if loop.time() >= deadline:
                raise WeChatUnavailable("timed out waiting for another token refresher")
            await asyncio.sleep(0.05)

    async def _fetch_stable_token(self) -> str:
        """Call ``cgi-bin/stable_token`` in normal mode, which never revokes a live token."""
        body = {
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self._secret,
            "force_refresh": False,
        }
        data = _parse(
            "cgi-bin/stable_token", await self._send("POST", "cgi-bin/stable_token", body=body)
        )
        try:
            token, expires_in = str(data["access_token"]), int(data["expires_in"])
        except (KeyError, ValueError) as exc:
            raise WeChatError("cgi-bin/stable_token: malformed answer") from exc
        margin = self._refresh_margin
        ttl = expires_in - margin if expires_in > 2 * margin else max(expires_in // 2, 1)
        await self._store.set(self._token_key, token, ex=ttl)
        log.info("wechat access token refreshed for %s, cached %ss", self.appid, ttl)
        return token

    async def _release_lock(self, nonce: str) -> None:
        """Delete the refresh lock only if it is still ours (it may have expired meanwhile)."""
        async with self._store.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(self._lock_key)
                if _text(await pipe.get(self._lock_key)) == nonce:
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.delete(self._lock_key)
                    await pipe.execute()
            except WatchError:
                log.debug("token lock for %s changed hands before release", self.appid)

    # -- transport ------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> dict[str, Any]:
        """Call a token-protected endpoint that answers JSON."""
        return _parse(path, await self._authorized(method, path, params, body))

    async def _call_binary(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> bytes:
        """Call an endpoint that answers a file on success and JSON on error."""
        payload = await self._authorized(method, path, params, body)
        if not _is_json(payload):
            return payload
        _parse(path, payload)
        raise WeChatError(f"{path}: expected a file, got JSON")

    async def _authorized(
        self, method: str, path: str, params: Mapping[str, str] | None, body: Any
    ) -> bytes:
        """Send with the access token; if WeChat rejects the token, refresh once and resend."""
        token = await self.access_token()
        payload = await self._send(method, path, {**(params or {}), "access_token": token}, body)
        if _is_json(payload) and _errcode(payload) in _TOKEN_ERRCODES:
            log.info("wechat %s rejected the access token of %s; refreshing", path, self.appid)
            self._memo = None
            token = await self._refresh_token(stale=token)
            payload = await self._send(
                method, path, {**(params or {}), "access_token": token}, body
            )
        return payload

    async def _send(
        self, method: str, path: str, params: Mapping[str, str] | None = None, body: Any = None
    ) -> bytes:
        """Send one request; network trouble, timeouts and 5xx become ``WeChatUnavailable``."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"} if data else None
        # Messages name the path only: the query string carries the secret or the token.
        try:
            async with self._session.request(
                method,
                self._api_base + path,
                params=params,
                data=data,
                headers=headers,
                timeout=self._timeout,
            ) as resp:
                status, payload = resp.status, await resp.read()
        except TimeoutError as exc:
            raise WeChatUnavailable(f"{method} {path}: timed out") from exc
        except aiohttp.ClientError as exc:
            raise WeChatUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        if status >= 500:
            raise WeChatUnavailable(f"{method} {path}: HTTP {status}")
        if status != 200:
            raise WeChatError(f"{method} {path}: HTTP {status}")
        return payload
