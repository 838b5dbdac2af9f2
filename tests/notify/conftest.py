"""Fixtures for delivery tests: the fake WeChat with an Official Account, and the transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from notify_helpers import (
    MINIAPP_APPID,
    MINIAPP_SECRET,
    OA_APPID,
    OA_SECRET,
    OA_TEMPLATES,
    SUBSCRIBE,
    TIMEOUT,
)

from borderpass.adapters.wechat import WeChatClient
from borderpass.app.wechat_push import WeChatPush
from borderpass.core.config import Settings
from borderpass.services.notify.channels import NotifyConfig


@pytest.fixture
def config() -> NotifyConfig:
    """Every channel configured."""
    return NotifyConfig(subscribe_templates=SUBSCRIBE, oa_templates=OA_TEMPLATES,
                        official_account=True)


@pytest.fixture
async def push(fake_wechat: Any, redis: Any) -> AsyncIterator[WeChatPush]:
    """The real WeChat adapter against the fake, with a short timeout for timeout tests."""
    fake_wechat.add_app(OA_APPID, OA_SECRET)
    miniapp = WeChatClient(MINIAPP_APPID, MINIAPP_SECRET, redis, api_base=fake_wechat.base_url,
                           timeout=TIMEOUT, memo_seconds=5.0)
    official = WeChatClient(OA_APPID, OA_SECRET, redis, api_base=fake_wechat.base_url,
                            timeout=TIMEOUT, memo_seconds=5.0)
    yield WeChatPush(miniapp, official, MINIAPP_APPID)
    await miniapp.close()
    await official.close()


@pytest.fixture
async def notify_client(settings: Settings, redis: Any, aiohttp_client: Any) -> TestClient:
    """The whole app with subscribe templates configured and no background sender."""
    from borderpass.app.factory import create_app

    app_settings = settings.with_overrides(
        notify_worker=False, notify_subscribe_templates=tuple(SUBSCRIBE.items()))
    return await aiohttp_client(create_app(app_settings))  # type: ignore[no-any-return]
