"""The Official Account's WeChat client: the shared client plus what only the account uses —
temporary image upload and follower info (the unionid)."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from borderpass.core.wechat import WeChatClient, WeChatError, WeChatUnavailable


@dataclass(frozen=True)
class Follower:
    """What ``cgi-bin/user/info`` tells about one follower."""

    openid: str
    subscribed: bool
    unionid: str | None  # only when the account is bound to an open-platform account
    tag_ids: tuple[int, ...] = ()


class OfficialAccountClient(WeChatClient):
    """``WeChatClient`` with the Official Account's own endpoints."""

    async def upload_image(self, data: bytes, filename: str = "pass.png") -> str:
        """Upload a temporary image (kept 3 days by WeChat); return its media_id."""
        import json

        token = await self.access_token()
        form = aiohttp.FormData()
        form.add_field("media", data, filename=filename, content_type="image/png")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(
                    self._api_base + "cgi-bin/media/upload",
                    params={"access_token": token, "type": "image"}, data=form,
                    timeout=self._timeout) as resp:
                status, payload = resp.status, await resp.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise WeChatUnavailable("POST cgi-bin/media/upload failed") from exc
        if status != 200:
            raise WeChatError(f"cgi-bin/media/upload: HTTP {status}")
        try:
            answer = json.loads(payload)
            return str(answer["media_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise WeChatError(f"cgi-bin/media/upload: {payload[:80]!r}") from exc

    # -- followers ------------------------------------------------------------------------

    async def follower(self, openid: str) -> Follower:
        """``cgi-bin/user/info``: whether they follow, their unionid and tags."""
        data = await self._call("GET", "cgi-bin/user/info",
                                params={"openid": openid, "lang": "zh_CN"})
        unionid = data.get("unionid")
        return Follower(str(data.get("openid") or openid), bool(data.get("subscribe")),
                        str(unionid) if unionid else None,
                        tuple(int(t) for t in data.get("tagid_list") or ()))
