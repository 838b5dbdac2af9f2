"""WeChatClient against the fake WeChat over a real socket, on fakeredis and on real Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import fakeredis.aioredis
import pytest
from redis.asyncio import Redis

from borderpass.adapters.wechat import (
    TOKEN_KEY,
    WeChatAPIError,
    WeChatClient,
    WeChatUnavailable,
)
from borderpass_dev.fake_wechat import FakeWeChat

SECRET = "s3cret"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ClientFactory = Callable[..., Awaitable[WeChatClient]]


class Clock:
    """A hand-wound clock for the fake's notion of now."""

    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["fakeredis", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Redis]:
    """The token store: fakeredis, and real Redis when BORDERPASS_TEST_REDIS_URL is set."""
    if request.param == "fakeredis":
        redis: Redis = fakeredis.aioredis.FakeRedis()
    else:
        url = os.environ.get("BORDERPASS_TEST_REDIS_URL")
        if not url:
            pytest.skip("BORDERPASS_TEST_REDIS_URL not set")
        redis = Redis.from_url(url)
    yield redis
    await redis.aclose()


@pytest.fixture
def appid() -> str:
    """A fresh appid per test, so tests never share a token on a real Redis."""
    return f"wx{uuid.uuid4().hex[:16]}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(appid: str, clock: Clock) -> AsyncIterator[FakeWeChat]:
    server = FakeWeChat({appid: SECRET}, now=clock)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def make_client(fake: FakeWeChat, store: Redis, appid: str) -> AsyncIterator[ClientFactory]:
    """Build clients of the fake's app sharing one store; all closed at teardown."""
    clients: list[WeChatClient] = []

    async def make(secret: str = SECRET, timeout: float = 5.0) -> WeChatClient:
        assert fake.base_url
        client = WeChatClient(appid, secret, store, api_base=fake.base_url, timeout=timeout)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
    await store.delete(TOKEN_KEY.format(appid=appid))


@pytest.fixture
async def client(make_client: ClientFactory) -> WeChatClient:
    return await make_client()


async def test_code2session_returns_openid_unionid_and_session_key(
    fake: FakeWeChat, client: WeChatClient
) -> None:
    code = fake.issue_login_code("o-driver", unionid="u-driver")
    session = await client.code2session(code)
    assert (session.openid, session.unionid) == ("o-driver", "u-driver")
    assert session.session_key and session.session_key not in repr(session)
    assert SECRET not in repr(client)


async def test_code2session_rejects_unknown_used_and_expired_codes(
    fake: FakeWeChat, client: WeChatClient, clock: Clock
) -> None:
    with pytest.raises(WeChatAPIError) as unknown:
        await client.code2session("no-such-code")
    assert unknown.value.errcode == 40029
    code = fake.issue_login_code("o-driver")
    assert (await client.code2session(code)).unionid is None
    with pytest.raises(WeChatAPIError) as used:
        await client.code2session(code)
    assert used.value.errcode == 40163
    late = fake.issue_login_code("o-driver")
    clock.t += 301
    with pytest.raises(WeChatAPIError) as expired:
        await client.code2session(late)
    assert expired.value.errcode == 40029


async def test_wrong_secret_is_40125(fake: FakeWeChat, make_client: ClientFactory) -> None:
    client = await make_client(secret="wrong")
    with pytest.raises(WeChatAPIError) as exc:
        await client.code2session(fake.issue_login_code("o-driver"))
    assert exc.value.errcode == 40125
    with pytest.raises(WeChatAPIError) as token_exc:
        await client.access_token()
    assert token_exc.value.errcode == 40125


async def test_demo_codes_log_in_as_demo_users(store: Redis) -> None:
    server = FakeWeChat(demo=True)
    base_url = await server.start()
    try:
        async with WeChatClient(
            "wxdemominiapp", "demo-miniapp-secret", store, api_base=base_url
        ) as client:
            session = await client.code2session("demo-alice")
            assert session.openid == "o-demo-alice"
            assert (await client.code2session("demo-alice")).openid == "o-demo-alice"
            await client.send_subscribe_message("o-demo-alice", "tpl", {"thing1": "hi"})
    finally:
        await server.close()
        await store.delete(TOKEN_KEY.format(appid="wxdemominiapp"))


async def test_token_is_cached_and_shared_between_clients(
    fake: FakeWeChat, make_client: ClientFactory, store: Redis, appid: str
) -> None:
    first, second = await make_client(), await make_client()
    token = await first.access_token()
    assert await second.access_token() == token
    assert fake.calls("cgi-bin/stable_token") == 1
    ttl = await store.ttl(TOKEN_KEY.format(appid=appid))
    assert 0 < ttl <= 7200 - 300  # refreshed five minutes before WeChat expires it


async def test_concurrent_refresh_calls_stable_token_once(
    fake: FakeWeChat, make_client: ClientFactory
) -> None:
    first, second = await make_client(), await make_client()
    fake.fail_next("cgi-bin/stable_token", delay=0.3)  # hold the first refresher in flight
    tokens = await asyncio.gather(*(c.access_token() for c in (first, second, first, second)))
    assert len(set(tokens)) == 1
    assert fake.calls("cgi-bin/stable_token") == 1


async def test_rejected_token_is_refreshed_once_and_the_call_retried(
    fake: FakeWeChat, client: WeChatClient
) -> None:
    fake.touch_user("o-driver")
    await client.send_custom_message("o-driver", "text", {"content": "一"})
    fake.revoke_tokens()  # as if someone force-refreshed it elsewhere → 40001
    await client.send_custom_message("o-driver", "text", {"content": "二"})
    assert fake.calls("cgi-bin/stable_token") == 2
    assert [m.body["text"]["content"] for m in fake.messages("custom")] == ["一", "二"]


async def test_a_token_refreshed_by_one_client_is_picked_up_by_the_other(
    fake: FakeWeChat, make_client: ClientFactory
) -> None:
    first, second = await make_client(), await make_client()
    fake.touch_user("o-driver")
    await first.access_token()
    fake.revoke_tokens()  # both now hold a token WeChat rejects with 40001
    fake.fail_next("cgi-bin/stable_token", delay=0.3)
    await asyncio.gather(
        *(c.send_custom_message("o-driver", "text", {"content": "hi"}) for c in (first, second))
    )
    assert fake.calls("cgi-bin/message/custom/send") == 4  # each was rejected once
    assert fake.calls("cgi-bin/stable_token") == 2  # the second saw the first's new token
    assert len(fake.messages("custom")) == 2


async def test_expired_token_42001_is_refreshed(
    fake: FakeWeChat, client: WeChatClient, clock: Clock
) -> None:
    media_id = fake.add_media(b"\xff\xd8photo")
    await client.access_token()
    clock.t += 7200  # WeChat's token expires while our cache still holds it
    assert await client.download_media(media_id) == b"\xff\xd8photo"
    assert fake.calls("cgi-bin/stable_token") == 2


async def test_subscribe_needs_a_grant_consumed_per_send(
    fake: FakeWeChat, client: WeChatClient
) -> None:
    fake.add_user("o-driver")
    with pytest.raises(WeChatAPIError) as refused:
        await client.send_subscribe_message("o-driver", "tpl-review", {"thing1": "已通过"})
    assert refused.value.errcode == 43101
    fake.grant_subscription("o-driver", "tpl-review")
    msgid = await client.send_subscribe_message(
        "o-driver", "tpl-review", {"thing1": "已通过"}, page="pages/filing/index"
    )
    assert msgid is not None
    [sent] = fake.messages("subscribe")
    assert sent.body["data"] == {"thing1": {"value": "已通过"}}
    assert sent.body["page"] == "pages/filing/index"
    with pytest.raises(WeChatAPIError) as again:
        await client.send_subscribe_message("o-driver", "tpl-review", {"thing1": "x"})
    assert again.value.errcode == 43101


async def test_subscribe_field_over_limit_is_47003(fake: FakeWeChat, client: WeChatClient) -> None:
    fake.grant_subscription("o-driver", "tpl")
    with pytest.raises(WeChatAPIError) as exc:
        await client.send_subscribe_message("o-driver", "tpl", {"thing1": "字" * 21})
    assert exc.value.errcode == 47003


async def test_custom_message_outside_48h_window_is_45015(
    fake: FakeWeChat, client: WeChatClient, clock: Clock
) -> None:
    fake.touch_user("o-driver", when=clock.t - 49 * 3600)
    with pytest.raises(WeChatAPIError) as exc:
        await client.send_custom_message("o-driver", "text", {"content": "hi"})
    assert exc.value.errcode == 45015
    fake.touch_user("o-driver")
    await client.send_custom_message("o-driver", "text", {"content": "hi"})
    assert fake.messages("custom")[0].msgtype == "text"


async def test_template_message_and_menu(fake: FakeWeChat, client: WeChatClient) -> None:
    fake.add_user("o-driver")
    msgid = await client.send_template_message(
        "o-driver", "tpl-oa", {"first": "审核通过"}, url="https://example.com/f/1"
    )
    assert msgid == fake.messages("template")[0].msgid
    await client.create_menu({"button": [{"type": "click", "name": "备案", "key": "FILE"}]})
    assert fake.menus[client.appid]["button"][0]["key"] == "FILE"
    with pytest.raises(WeChatAPIError) as exc:
        await client.create_menu({"button": [{"type": "click", "name": "x", "key": "k"}] * 4})
    assert exc.value.errcode == 40016


async def test_5xx_is_unavailable(fake: FakeWeChat, client: WeChatClient) -> None:
    fake.touch_user("o-driver")
    fake.fail_next("cgi-bin/message/custom/send", status=502)
    with pytest.raises(WeChatUnavailable):
        await client.send_custom_message("o-driver", "text", {"content": "hi"})
    assert fake.messages("custom") == []


async def test_timeout_is_unavailable(fake: FakeWeChat, make_client: ClientFactory) -> None:
    client = await make_client(timeout=0.2)
    fake.fail_next("sns/jscode2session", delay=1.0)
    with pytest.raises(WeChatUnavailable):
        await client.code2session(fake.issue_login_code("o-driver"))


async def test_unreachable_server_is_unavailable(fake: FakeWeChat, client: WeChatClient) -> None:
    await fake.close()
    with pytest.raises(WeChatUnavailable):
        await client.code2session("any")


async def test_injected_system_busy_is_a_transient_api_error(
    fake: FakeWeChat, client: WeChatClient
) -> None:
    fake.fail_next("sns/jscode2session", errcode=-1, errmsg="system error")
    with pytest.raises(WeChatAPIError) as exc:
        await client.code2session(fake.issue_login_code("o-driver"))
    assert exc.value.errcode == -1 and exc.value.transient


async def test_download_media(fake: FakeWeChat, client: WeChatClient) -> None:
    media_id = fake.add_media(b"\xff\xd8\xff\xe0 a jpeg")
    assert await client.download_media(media_id) == b"\xff\xd8\xff\xe0 a jpeg"
    with pytest.raises(WeChatAPIError) as exc:
        await client.download_media("missing")
    assert exc.value.errcode == 40007


async def test_unlimited_wxacode_is_png(fake: FakeWeChat, client: WeChatClient) -> None:
    png = await client.get_unlimited_wxacode("unit=42", "pages/register/index")
    assert png.startswith(PNG_SIGNATURE)
    assert fake.wxacodes[0]["scene"] == "unit=42"
    with pytest.raises(WeChatAPIError) as exc:
        await client.get_unlimited_wxacode("x" * 33, "pages/register/index")
    assert exc.value.errcode == 40169
