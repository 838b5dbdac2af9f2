"""Official Account user endpoints of the fake: user info (with the unionid), tags, and the
personalised menus that match users by tag. HTTP plumbing lives in server.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wechatpy.constants import WeChatErrorCode as E

from borderpass_dev.fake_wechat import rules
from borderpass_dev.fake_wechat.state import FakeUser, FakeWeChatState, WeChatFailure

OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
MAX_TAGS = 100  # per account
MAX_USER_TAGS = 20  # per user
MAX_TAG_BYTES = 30
MAX_BATCH = 50  # openids per batch (un)tagging call


def _known(state: FakeWeChatState, openid: object) -> FakeUser:
    user = state.users.get(openid) if isinstance(openid, str) else None
    if user is None:
        raise WeChatFailure(E.INVALID_OPENID.value, "invalid openid")
    return user


def user_info(state: FakeWeChatState, appid: str, query: Mapping[str, str]) -> dict[str, Any]:
    """GET cgi-bin/user/info: unionid only when the app is bound to an open-platform account.

    Since 2021-12-27 WeChat no longer returns nickname or avatar, and ``language`` is no
    longer provided either; a user who does not follow gets only ``subscribe: 0``.
    """
    user = _known(state, query.get("openid"))
    if not user.subscribed:
        return {"subscribe": 0, "openid": user.openid, "tagid_list": []}
    answer: dict[str, Any] = {
        "subscribe": 1, "openid": user.openid,
        "subscribe_time": int(user.last_interaction or state.now()), "remark": "",
        "groupid": 0, "tagid_list": list(user.tags), "subscribe_scene": "ADD_SCENE_QR_CODE",
        "qr_scene": 0, "qr_scene_str": ""}
    if user.unionid and appid not in state.unbound_apps:
        answer["unionid"] = user.unionid
    return answer


def tags_get(state: FakeWeChatState, appid: str, query: Mapping[str, str]) -> dict[str, Any]:
    """GET cgi-bin/tags/get: the account's tags with their follower counts."""
    return {"tags": [
        {"id": tag_id, "name": name,
         "count": sum(1 for u in state.users.values() if tag_id in u.tags)}
        for tag_id, name in state.tags[appid].items()]}


def tags_create(state: FakeWeChatState, appid: str, body: Any) -> dict[str, Any]:
    """POST cgi-bin/tags/create ``{"tag": {"name"}}``: names unique, ≤ 30 bytes, 100 tags."""
    tag = body.get("tag") if isinstance(body, dict) else None
    name = tag.get("name") if isinstance(tag, dict) else None
    if not isinstance(name, str) or not name:
        raise WeChatFailure(E.INVALID_TEMPLATE_ARGUMENT.value, "argument invalid!")
    if len(name.encode()) > MAX_TAG_BYTES:
        raise WeChatFailure(45158, "tag name too long")
    tags = state.tags[appid]
    if name in tags.values():
        raise WeChatFailure(45157, "invalid tag name")
    if len(tags) >= MAX_TAGS:
        raise WeChatFailure(45056, "too many tags now, no need to add new")
    tag_id = state.next_tag_id()
    tags[tag_id] = name
    return {"tag": {"id": tag_id, "name": name}}


def _batch(state: FakeWeChatState, appid: str, body: Any) -> tuple[int, list[FakeUser]]:
    """Check a batch (un)tagging request: ≤ 50 known openids and a tag of this account."""
    openids = body.get("openid_list") if isinstance(body, dict) else None
    if not isinstance(openids, list) or not 0 < len(openids) <= MAX_BATCH:
        raise WeChatFailure(E.INVALID_OPENID_LIST_SIZE.value, "invalid openid list size")
    tag_id = body.get("tagid")
    if not isinstance(tag_id, int) or tag_id not in state.tags[appid]:
        raise WeChatFailure(45159, "invalid tag id")
    return tag_id, [_known(state, openid) for openid in openids]


def batch_tagging(state: FakeWeChatState, appid: str, body: Any) -> dict[str, Any]:
    """POST cgi-bin/tags/members/batchtagging: a user has at most 20 tags."""
    tag_id, users = _batch(state, appid, body)
    for user in users:
        if tag_id not in user.tags and len(user.tags) >= MAX_USER_TAGS:
            raise WeChatFailure(45059, "has fans tag too many")
    for user in users:
        if tag_id not in user.tags:
            user.tags.append(tag_id)
    return dict(OK)


def batch_untagging(state: FakeWeChatState, appid: str, body: Any) -> dict[str, Any]:
    """POST cgi-bin/tags/members/batchuntagging: untagging an untagged user is fine."""
    tag_id, users = _batch(state, appid, body)
    for user in users:
        if tag_id in user.tags:
            user.tags.remove(tag_id)
    return dict(OK)


def add_conditional_menu(state: FakeWeChatState, appid: str, body: Any) -> dict[str, Any]:
    """POST cgi-bin/menu/addconditional: needs the default menu first (65303)."""
    rules.check_menu(body)
    rules.check_matchrule(body.get("matchrule"), state.tags[appid])
    if appid not in state.menus:
        raise WeChatFailure(E.THERE_IS_NO_SELFMENU.value, "there is no selfmenu")
    menuid = state.next_menu_id()
    state.conditional_menus[appid].append({**body, "menuid": menuid})
    return {"menuid": str(menuid)}


def delete_menu(state: FakeWeChatState, appid: str, query: Mapping[str, str]) -> dict[str, Any]:
    """GET cgi-bin/menu/delete: removes the default menu and every personalised one."""
    state.menus.pop(appid, None)
    state.conditional_menus.pop(appid, None)
    return dict(OK)


def try_match(state: FakeWeChatState, appid: str, body: Any) -> dict[str, Any]:
    """POST cgi-bin/menu/trymatch ``{"user_id"}``: the menu that user sees.

    Personalised menus are tried newest first; a tag rule matches the tag applied to the
    user last (WeChat's documented rule); if none matches, the default menu.
    """
    openid = body.get("user_id") if isinstance(body, dict) else None
    user = state.users.get(openid) if isinstance(openid, str) else None
    if user is None:
        raise WeChatFailure(65302, "no such user")
    last_tag = str(user.tags[-1]) if user.tags else None
    for menu in reversed(state.conditional_menus.get(appid, [])):
        if str(menu["matchrule"].get("tag_id", "")) == last_tag and last_tag is not None:
            return {"button": menu["button"]}
    if appid not in state.menus:
        raise WeChatFailure(46003, "menu no exist")
    return {"button": state.menus[appid]["button"]}
