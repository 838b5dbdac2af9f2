"""The Official Account callback protocol, through wechatpy: signatures, safe-mode AES, XML.

Knows nothing of dialogs: it turns a request into a wechatpy message and a reply text into
the XML WeChat expects (encrypted when the request was). A callback is refused (403) when its
timestamp or the message's CreateTime is more than ``FRESH_SECONDS`` from now, and when an
EncodingAESKey is configured but the message came in plain (or in compatible mode, unless
that was configured): a captured signature triple is worth nothing later.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import ImageReply, TextReply
from wechatpy.utils import check_signature

MAX_XML_BYTES = 64 * 1024  # a real callback is a few hundred bytes
FRESH_SECONDS = 5 * 60  # a callback's timestamp and CreateTime: this far from now, either way
SAFE_ENVELOPE = frozenset({"ToUserName", "Encrypt"})  # all a safe-mode body holds


class ProtocolError(Exception):
    """Base of the callback protocol errors; ``status`` is the HTTP answer."""

    status = 400


class BadSignature(ProtocolError):
    status = 403


class Refused(ProtocolError):
    """Signed, but stale, replayed or in a mode this account does not accept."""

    status = 403


class BadMessage(ProtocolError):
    status = 400


class TooLarge(ProtocolError):
    status = 413


@dataclass(frozen=True)
class Inbound:
    """One verified callback: the message, and whether to encrypt the reply."""

    message: BaseMessage
    encrypted: bool
    nonce: str
    timestamp: str


class Callback:
    """Verify and decode callbacks of one Official Account; encode replies."""

    def __init__(self, token: str, aes_key: str = "", appid: str = "",
                 compatible: bool = False, clock: Callable[[], float] = time.time) -> None:
        self.token = token
        self.compatible = compatible  # accept compatible mode's plaintext copy beside Encrypt
        self.clock = clock
        self.crypto: WeChatCrypto | None = None
        if aes_key and appid:
            try:
                self.crypto = WeChatCrypto(token, aes_key, appid)
            except (AssertionError, ValueError) as exc:  # wechatpy asserts a 32-byte key
                raise ValueError("BORDERPASS_OA_AES_KEY must be the 43-character "
                                 "EncodingAESKey") from exc

    def verify_url(self, query: Mapping[str, str]) -> str:
        """The URL check (GET): answer ``echostr`` when the signature is right and fresh."""
        self._check(query)
        return query.get("echostr", "")

    def decode(self, query: Mapping[str, str], body: bytes) -> Inbound:
        """Check the signature(s), decrypt if needed, parse; nothing is trusted before that."""
        if len(body) > MAX_XML_BYTES:
            raise TooLarge("callback body too large")
        self._check(query)
        nonce, timestamp = query.get("nonce", ""), query.get("timestamp", "")
        encrypted = query.get("encrypt_type") == "aes"
        xml: Any = body
        if self.crypto is not None and not encrypted:
            raise Refused("plain message while safe mode is configured")
        if encrypted:
            if self.crypto is None:
                raise BadMessage("safe mode without an EncodingAESKey")
            self._check_envelope(body)
            try:
                xml = self.crypto.decrypt_message(body, query.get("msg_signature", ""),
                                                  timestamp, nonce)
            except (InvalidSignatureException, InvalidAppIdException) as exc:
                raise BadSignature("bad msg_signature or appid") from exc
            except (ExpatError, KeyError, ValueError, TypeError) as exc:
                raise BadMessage("undecryptable body") from exc
        try:
            message = parse_message(xml)
        except (ExpatError, KeyError, ValueError, TypeError, AttributeError) as exc:
            raise BadMessage("malformed XML") from exc
        if message is None or not message.source:
            raise BadMessage("empty message")
        self._fresh(message.time, "message CreateTime")
        return Inbound(message, encrypted, nonce, timestamp)

    def _check(self, query: Mapping[str, str]) -> None:
        timestamp = query.get("timestamp", "")
        try:
            check_signature(self.token, query.get("signature", ""), timestamp,
                            query.get("nonce", ""))
        except InvalidSignatureException as exc:
            raise BadSignature("bad signature") from exc
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            raise Refused("timestamp is not a number")
        self._fresh(int(timestamp), "timestamp")

    def _fresh(self, when: object, what: str) -> None:
        if not isinstance(when, int) or abs(self.clock() - when) > FRESH_SECONDS:
            raise Refused(f"{what} too far from now")

    def _check_envelope(self, body: bytes) -> None:
        """Safe mode carries only Encrypt; compatible mode's plaintext copy needs the setting."""
        try:
            envelope = xmltodict.parse(body).get("xml")
        except (ExpatError, ValueError, TypeError) as exc:
            raise BadMessage("malformed XML") from exc
        if not isinstance(envelope, dict) or "Encrypt" not in envelope:
            raise BadMessage("no Encrypt element")
        if set(envelope) - SAFE_ENVELOPE and not self.compatible:
            raise Refused("compatible-mode message while safe mode is configured")

    def render(self, inbound: Inbound, text: str | None = None,
               media_id: str | None = None) -> str:
        """The passive reply XML (``success`` when there is nothing to say)."""
        if text is None and media_id is None:
            return "success"
        reply = (ImageReply(message=inbound.message, media_id=media_id) if media_id
                 else TextReply(message=inbound.message, content=text))
        xml = reply.render()
        if inbound.encrypted and self.crypto is not None:
            return str(self.crypto.encrypt_message(xml, inbound.nonce or "n",
                                                   str(int(time.time()))))
        return str(xml)
