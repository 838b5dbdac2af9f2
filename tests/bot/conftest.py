"""Fixtures of the bot tests: an app with Official Account credentials, the fake WeChat
knowing the account, OCR replaced by canned readings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from bot_helpers import OA_AES_KEY, OA_APPID, OA_SECRET, OA_TOKEN, WeChatUser

from borderpass.core.config import Settings


@pytest.fixture
def settings(settings: Settings, fake_wechat: Any) -> Settings:
    fake_wechat.add_app(OA_APPID, OA_SECRET)
    return settings.with_overrides(oa_appid=OA_APPID, oa_secret=OA_SECRET, oa_token=OA_TOKEN,
                                   oa_aes_key=OA_AES_KEY, notify_worker=False)


@pytest.fixture
def readings() -> dict[str, dict[str, Any]]:
    """Canned OCR readings per document kind (tests fill it); unknown kinds read nothing."""
    return {}


@pytest.fixture
def bot(client: TestClient, readings: dict[str, dict[str, Any]]) -> Any:
    from borderpass.bot.views import BOT

    runtime = client.app[BOT]

    async def fake_read(kind: str, data: bytes) -> dict[str, Any]:
        return readings.get(kind, {"kind": kind, "fields": {}})

    runtime.ocr_read = fake_read
    return runtime


@pytest.fixture
def wechat_user(client: TestClient, fake_wechat: Any, bot: Any) -> Callable[..., WeChatUser]:
    def make(openid: str = "oa-alice", safe: bool = True, consent: bool = True) -> WeChatUser:
        fake_wechat.touch_user(openid)
        return WeChatUser(client, openid, safe=safe, consent=consent)

    return make
