"""The Official Account's WeChat client: the shared client plus what only the account uses —
temporary image upload, follower info (the unionid), tags and personalised menus."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from borderpass.adapters.wechat import WeChatClient, WeChatError, WeChatUnavailable


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

    # -- followers and tags -------------------------------------------------------------

    async def follower(self, openid: str) -> Follower:
        """``cgi-bin/user/info``: whether they follow, their unionid and tags."""
        data = await self._call("GET", "cgi-bin/user/info",
                                params={"openid": openid, "lang": "zh_CN"})
        unionid = data.get("unionid")
        return Follower(str(data.get("openid") or openid), bool(data.get("subscribe")),
                        str(unionid) if unionid else None,
                        tuple(int(t) for t in data.get("tagid_list") or ()))

    async def tags(self) -> dict[str, int]:
        """The account's tags, name → id."""
        data = await self._call("GET", "cgi-bin/tags/get")
        return {str(t["name"]): int(t["id"]) for t in data.get("tags") or ()}

    async def create_tag(self, name: str) -> int:
        """Create a tag (≤ 30 bytes, unique); return its id."""
        data = await self._call("POST", "cgi-bin/tags/create", body={"tag": {"name": name}})
        try:
            return int(data["tag"]["id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WeChatError("cgi-bin/tags/create: malformed answer") from exc

    async def tag_users(self, tag_id: int, openids: Sequence[str]) -> None:
        """Put a tag on up to 50 followers."""
        await self._call("POST", "cgi-bin/tags/members/batchtagging",
                         body={"openid_list": list(openids), "tagid": tag_id})

    async def untag_users(self, tag_id: int, openids: Sequence[str]) -> None:
        """Take a tag off up to 50 followers."""
        await self._call("POST", "cgi-bin/tags/members/batchuntagging",
                         body={"openid_list": list(openids), "tagid": tag_id})

    # -- menus ----------------------------------------------------------------------------

    async def delete_menus(self) -> None:
        """``cgi-bin/menu/delete``: remove the default menu and every personalised one."""
        await self._call("GET", "cgi-bin/menu/delete")

    async def add_conditional_menu(self, menu: Mapping[str, Any]) -> str:
        """``cgi-bin/menu/addconditional`` (``button`` + ``matchrule``); return its menuid."""
        data = await self._call("POST", "cgi-bin/menu/addconditional", body=dict(menu))
        return str(data.get("menuid", ""))

    async def try_match_menu(self, openid: str) -> dict[str, Any]:
        """``cgi-bin/menu/trymatch``: the menu one follower sees."""
        return await self._call("POST", "cgi-bin/menu/trymatch", body={"user_id": openid})
