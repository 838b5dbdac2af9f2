"""Official Account user endpoints of the fake: user info (with the unionid). HTTP plumbing
lives in server.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wechatpy.constants import WeChatErrorCode as E

from borderpass.core.fake_wechat.state import FakeUser, FakeWeChatState, WeChatFailure


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
        "groupid": 0, "tagid_list": [], "subscribe_scene": "ADD_SCENE_QR_CODE",
        "qr_scene": 0, "qr_scene_str": ""}
    if user.unionid and appid not in state.unbound_apps:
        answer["unionid"] = user.unionid
    return answer
