"""The Official Account's WeChat client: the shared client plus temporary image upload."""

from __future__ import annotations

import aiohttp

from borderpass.core.wechat import WeChatClient, WeChatError, WeChatUnavailable


class OfficialAccountClient(WeChatClient):
    """``WeChatClient`` with ``cgi-bin/media/upload`` (multipart), for the pass image."""

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
