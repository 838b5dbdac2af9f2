"""A WeChat server stand-in for the bot tests: builds, signs and encrypts callback XML with
wechatpy, posts it to /wechat/callback and decrypts the reply."""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import xmltodict
from aiohttp.test_utils import TestClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

OA_APPID, OA_SECRET = "wxtestofficial", "test-oa-secret"
OA_TOKEN = "bot-test-token"
OA_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
_ids = itertools.count(880_000_001)


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


@dataclass
class Reply:
    status: int
    raw: str
    xml: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return str(self.xml.get("Content") or "")

    @property
    def media_id(self) -> str | None:
        image = self.xml.get("Image")
        return image.get("MediaId") if isinstance(image, dict) else None


async def _consent(openid: str) -> bool:
    """Give the chat user's separate consent to the privacy notice, as if agreed earlier
    (most tests are about other things; tests/bot/test_bot_privacy.py asks for real)."""
    from borderpass.services.identity import chat_users
    from borderpass.services.privacy import privacy

    try:
        user = await chat_users.linked_user(openid)
    except Exception:  # the database is down on purpose (outage tests): try next time
        return False
    if user is None:
        return False
    await privacy.give(user, privacy.notice(user.locale), "chat")
    return True


class WeChatUser:
    """One follower of the Official Account, talking through the real endpoint."""

    def __init__(self, client: TestClient, openid: str, *, safe: bool = True,
                 consent: bool = True) -> None:
        self.client = client
        self.openid = openid
        self.safe = safe
        self.consent = consent  # R-D1: consent to the privacy notice once the user exists
        self.crypto = WeChatCrypto(OA_TOKEN, OA_AES_KEY, OA_APPID)

    def xml(self, msgtype: str, msg_id: int | None = None, created: int | None = None,
            **fields: str) -> str:
        body = {"ToUserName": "gh_test", "FromUserName": self.openid,
                "CreateTime": str(int(time.time()) if created is None else created),
                "MsgType": msgtype, **fields}
        if msgtype != "event":
            body["MsgId"] = str(msg_id if msg_id is not None else next(_ids))
        inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in body.items())
        return f"<xml>{inner}</xml>"

    def signed(self, xml: str | bytes, *, timestamp: int | None = None, nonce: str | None = None,
               compatible: bool = False) -> tuple[dict[str, str], Any]:
        """The query and body WeChat sends for ``xml``: signed, encrypted in safe mode (with
        the plaintext copy beside it in compatible mode). Each call is a new nonce, as each
        of WeChat's deliveries (retries included) is signed anew."""
        ts, nonce = str(int(time.time()) if timestamp is None else timestamp), \
            nonce or secrets.token_hex(5)
        params = {"timestamp": ts, "nonce": nonce, "signature": sign(OA_TOKEN, ts, nonce),
                  "openid": self.openid}
        data: Any = xml
        if self.safe and isinstance(xml, str):
            encrypted = self.crypto.encrypt_message(xml, nonce, ts)
            envelope = xmltodict.parse(encrypted)["xml"]
            params |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
            plain = xml.removeprefix("<xml>").removesuffix("</xml>") if compatible else ""
            data = f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName>{plain}<Encrypt>" \
                   f"<![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
        return params, data

    async def send(self, params: dict[str, str], data: Any) -> Reply:
        """Post a prepared callback as is (replays, retries) and read the reply."""
        resp = await self.client.post("/wechat/callback", params=params, data=data)
        raw = await resp.text()
        reply = Reply(resp.status, raw)
        if resp.status == 200 and raw.startswith("<xml>"):
            parsed = xmltodict.parse(raw)["xml"]
            if "Encrypt" in parsed:
                plain = self.crypto.decrypt_message(raw, parsed["MsgSignature"],
                                                    parsed["TimeStamp"], parsed["Nonce"])
                parsed = xmltodict.parse(plain)["xml"]
            reply.xml = parsed
        return reply

    async def post(self, xml: str | bytes, *, bad_signature: bool = False) -> Reply:
        if self.consent:
            self.consent = not await _consent(self.openid)
        params, data = self.signed(xml)
        if bad_signature:
            params["signature"] = "0" * 40
        return await self.send(params, data)

    async def say(self, text: str, msg_id: int | None = None) -> Reply:
        return await self.post(self.xml("text", msg_id, Content=text))

    async def photo(self, media_id: str) -> Reply:
        return await self.post(self.xml("image", PicUrl="http://x/y.jpg", MediaId=media_id))

    async def event(self, event: str, key: str = "") -> Reply:
        fields = {"Event": event}
        if key:
            fields["EventKey"] = key
        return await self.post(self.xml("event", **fields))
