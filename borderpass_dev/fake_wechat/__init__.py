"""A fake WeChat API server for tests and ``borderpass serve --demo``.

It speaks the real wire format over a real socket on 127.0.0.1: ``sns/jscode2session``,
``cgi-bin/stable_token``, subscribe / custom / template sends, ``cgi-bin/media/get``,
``wxa/getwxacodeunlimit``, the Official Account's ``cgi-bin/user/info`` (unionid), tags and
menus (``menu/create``, ``menu/addconditional`` by tag, ``menu/delete``, ``menu/trymatch``),
with WeChat's errcodes. Tests set it
up and inspect it through :class:`FakeWeChat`'s attributes and helpers.
"""

from __future__ import annotations

from borderpass_dev.fake_wechat.server import FakeWeChat
from borderpass_dev.fake_wechat.state import (
    DEMO_MINIAPP_APPID,
    DEMO_MINIAPP_SECRET,
    DEMO_OA_APPID,
    DEMO_OA_SECRET,
    FakeUser,
    RecordedRequest,
    SentMessage,
)

__all__ = [
    "DEMO_MINIAPP_APPID",
    "DEMO_MINIAPP_SECRET",
    "DEMO_OA_APPID",
    "DEMO_OA_SECRET",
    "FakeUser",
    "FakeWeChat",
    "RecordedRequest",
    "SentMessage",
]
