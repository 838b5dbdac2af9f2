"""WeChat's behaviour per endpoint, over the fake's state; HTTP plumbing lives in server.py."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from typing import Any

from wechatpy.constants import WeChatErrorCode as E

from borderpass_dev.fake_wechat import rules
from borderpass_dev.fake_wechat.state import (
    CLIENT_MSG_ID_TTL,
    CODE_TTL,
    CUSTOMER_SERVICE_WINDOW,
    DEMO_CODE_PREFIX,
    DEMO_OPENID_PREFIX,
    FORCE_REFRESH_INTERVAL,
    MEDIA_TTL,
    TOKEN_ROTATE_BEFORE,
    TOKEN_TTL,
    AccessToken,
    FakeUser,
    FakeWeChatState,
    Media,
    WeChatFailure,
)

CUSTOM_MSGTYPES = frozenset(
    {
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "mpnews",
        "mpnewsarticle",
        "msgmenu",
        "wxcard",
        "miniprogrampage",
    }
)
OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


def _check_app(state: FakeWeChatState, appid: Any, secret: Any) -> None:
    """Check an appid/secret pair the way WeChat does, in WeChat's order."""
    if not appid:
        raise WeChatFailure(E.MISSING_APP_ID.value, "appid missing")
    if not secret:
        raise WeChatFailure(E.MISSING_APP_SECRET.value, "appsecret missing")
    if appid not in state.apps:
        raise WeChatFailure(E.INVALID_APP_ID.value, "invalid appid")
    if state.apps[appid] != secret:
        raise WeChatFailure(E.INVALID_APP_SECRET.value, "invalid appsecret")


def code2session(state: FakeWeChatState, query: Mapping[str, str]) -> dict[str, Any]:
    """GET sns/jscode2session: resolve a login code once, within five minutes."""
    _check_app(state, query.get("appid"), query.get("secret"))
    if query.get("grant_type") != "authorization_code":
        raise WeChatFailure(E.INVALID_CREDENTIAL_TYPE.value, "invalid grant_type")
    code = query.get("js_code", "")
    if not code:
        raise WeChatFailure(E.MISSING_OAUTH_CODE.value, "missing code")
    if state.demo and code.startswith(DEMO_CODE_PREFIX) and len(code) > len(DEMO_CODE_PREFIX):
        user = state.add_user(DEMO_OPENID_PREFIX + code[len(DEMO_CODE_PREFIX) :])
    else:
        user = _use_code(state, code)
    answer = {"openid": user.openid, "session_key": _session_key()}
    if user.unionid and query.get("appid") not in state.unbound_apps:
        answer["unionid"] = user.unionid
    return answer


def _use_code(state: FakeWeChatState, code: str) -> FakeUser:
    """Consume a login code: unknown or expired → 40029, already used → 40163."""
    login = state.codes.get(code)
    if login is None or state.now() - login.issued_at > CODE_TTL:
        raise WeChatFailure(E.INVALID_OAUTH_CODE.value, "invalid code")
    if login.used:
        raise WeChatFailure(E.CODE_BEEN_USED.value, "code been used")
    login.used = True
    return state.users[login.openid]


def _session_key() -> str:
    """A session_key shaped like WeChat's: base64 of 16 random bytes."""
    return base64.b64encode(secrets.token_bytes(16)).decode()


def stable_token(state: FakeWeChatState, body: Any) -> dict[str, Any]:
    """POST cgi-bin/stable_token: the same token until its last 5 minutes, unless forced."""
    if not isinstance(body, dict):
        raise WeChatFailure(E.INVALID_TEMPLATE_ARGUMENT.value, "argument invalid!")
    appid = str(body.get("appid") or "")
    _check_app(state, appid, body.get("secret"))
    if body.get("grant_type") != "client_credential":
        raise WeChatFailure(E.INVALID_CREDENTIAL_TYPE.value, "invalid grant_type")
    now = state.now()
    if body.get("force_refresh"):
        if now - state.last_force_refresh.get(appid, -1e18) < FORCE_REFRESH_INTERVAL:
            raise WeChatFailure(
                E.API_MINUTE_QUOTA_REACH_LIMIT.value,
                "api minute-quota reach limit mustslower retry next minute",
            )
        state.last_force_refresh[appid] = now
        state.revoke_tokens(appid)
    current = state.tokens.get(state.current_token.get(appid, ""))
    if current is None or current.revoked or current.expires_at - now <= TOKEN_ROTATE_BEFORE:
        current = AccessToken(secrets.token_urlsafe(48), appid, now + TOKEN_TTL)
        state.tokens[current.value] = current
        state.current_token[appid] = current.value
    return {"access_token": current.value, "expires_in": int(current.expires_at - now)}


def check_token(state: FakeWeChatState, value: str | None) -> str:
    """Return the appid an access token belongs to, or fail with 41001/40001/42001."""
    if not value:
        raise WeChatFailure(E.MISSING_ACCESS_TOKEN.value, "access_token missing")
    token = state.tokens.get(value)
    if token is None or token.revoked:
        raise WeChatFailure(
            E.INVALID_CREDENTIAL.value,
            "invalid credential, access_token is invalid or not latest",
        )
    if token.expires_at <= state.now():
        raise WeChatFailure(E.EXPIRED_ACCESS_TOKEN.value, "access_token expired")
    return token.appid


def _user(state: FakeWeChatState, body: Any) -> FakeUser:
    """The addressee of a push: unknown openid → 40003."""
    openid = body.get("touser") if isinstance(body, dict) else None
    user = state.users.get(openid) if isinstance(openid, str) else None
    if user is None:
        raise WeChatFailure(E.INVALID_OPENID.value, "invalid openid")
    return user


def send_subscribe(state: FakeWeChatState, appid: str, body: Any) -> dict[str, Any]:
    """POST cgi-bin/message/subscribe/send: needs a grant from the user (else 43101)."""
    user = _user(state, body)
    template_id = body.get("template_id")
    if not template_id:
        raise WeChatFailure(E.INVALID_TEMPLATE.value, "invalid template id")
    rules.check_subscribe_data(body.get("data"))
    if not state.is_demo_user(user.openid):
        if user.grants.get(template_id, 0) <= 0:
            raise WeChatFailure(
                E.USER_REFUSE_TO_ACCEPT_THE_MESSAGE.value, "user refuse to accept the msg"
            )
        user.grants[template_id] -= 1
    return {**OK, "msgid": state.record("subscribe", appid, user.openid, body).msgid}


def send_custom(state: FakeWeChatState, appid: str, body: Any) -> dict[str, Any]:
    """POST cgi-bin/message/custom/send: only within 48 h of the user's last message (45015)."""
    user = _user(state, body)
    msgtype = body.get("msgtype")
    if msgtype not in CUSTOM_MSGTYPES:
        raise WeChatFailure(E.INVALID_MESSAGE_TYPE.value, "invalid message type")
    if not isinstance(body.get(msgtype), dict):
        raise WeChatFailure(47001, "data format error")
    seen = user.last_interaction
    in_window = seen is not None and state.now() - seen <= CUSTOMER_SERVICE_WINDOW
    if not (in_window or state.is_demo_user(user.openid)):
        raise WeChatFailure(
            E.OUT_OF_RESPONSE_TIME_LIMIT.value,
            "response out of time limit or subscription is canceled",
        )
    state.record("custom", appid, user.openid, body)
    return dict(OK)


def send_template(state: FakeWeChatState, appid: str, body: Any) -> dict[str, Any]:
    """POST cgi-bin/message/template/send: an Official Account template message."""
    user = _user(state, body)
    if not body.get("template_id"):
        raise WeChatFailure(E.INVALID_TEMPLATE.value, "invalid template_id")
    if not isinstance(body.get("data"), dict):
        raise WeChatFailure(47001, "data format error")
    # One message per openid and client_msg_id within 10 minutes: a retry is not resent.
    key = (appid, user.openid, str(body.get("client_msg_id") or ""))
    earlier = state.template_keys.get(key) if key[2] else None
    if earlier is not None and state.now() - earlier.at <= CLIENT_MSG_ID_TTL:
        return {**OK, "msgid": earlier.msgid}
    message = state.record("template", appid, user.openid, body)
    if key[2]:
        state.template_keys[key] = message
    return {**OK, "msgid": message.msgid}


def get_media(state: FakeWeChatState, media_id: str | None) -> Media:
    """GET cgi-bin/media/get: a temporary file, kept three days (else 40007)."""
    media = state.media.get(media_id or "")
    if media is None or state.now() - media.created_at > MEDIA_TTL:
        raise WeChatFailure(E.INVALID_MEDIA_ID.value, "invalid media_id")
    return media


def create_menu(state: FakeWeChatState, appid: str, body: Any) -> dict[str, Any]:
    """POST cgi-bin/menu/create: replace the app's menu."""
    rules.check_menu(body)
    state.menus[appid] = body
    return dict(OK)
