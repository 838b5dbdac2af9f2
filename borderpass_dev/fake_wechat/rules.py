"""WeChat's documented validation rules the fake enforces: subscribe fields, menus, scenes."""

from __future__ import annotations

import re
from typing import Any

from wechatpy.constants import WeChatErrorCode as E

from borderpass_dev.fake_wechat.state import WeChatFailure

# Maximum value length per subscribe-message field type (the key without its number).
SUBSCRIBE_FIELD_LIMITS = {
    "thing": 20,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "character_string": 32,
    "phone_number": 17,
    "car_number": 8,
    "name": 20,  # 10 if it holds Chinese characters
    "phrase": 5,
    "time": 32,
    "date": 32,
    "amount": 32,
}
_KEY = re.compile(r"^([a-z_]+?)(\d+)$")
_SCENE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$")


def check_subscribe_data(data: Any) -> None:
    """Reject subscribe data with unknown keys or values over WeChat's length limits (47003)."""
    if not isinstance(data, dict) or not data:
        raise WeChatFailure(E.INVALID_TEMPLATE_ARGUMENT.value, "argument invalid! data is empty")
    for key, item in data.items():
        match = _KEY.match(key)
        value = item.get("value") if isinstance(item, dict) else None
        if match is None or match.group(1) not in SUBSCRIBE_FIELD_LIMITS or value is None:
            raise WeChatFailure(
                E.INVALID_TEMPLATE_ARGUMENT.value, f"argument invalid! data.{key}.value invalid"
            )
        kind, text = match.group(1), str(value)
        limit = SUBSCRIBE_FIELD_LIMITS[kind]
        if kind == "name" and not text.isascii():
            limit = 10
        if len(text) > limit:
            raise WeChatFailure(
                E.INVALID_TEMPLATE_ARGUMENT.value,
                f"argument invalid! data.{key}.value exceeds limit {limit}",
            )


def check_menu(menu: Any) -> None:
    """Reject a menu with more than 3 buttons, 5 sub-buttons or over-long names."""
    buttons = menu.get("button") if isinstance(menu, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise WeChatFailure(E.INVALID_BUTTON_SIZE.value, "invalid button size")
    for button in buttons:
        _check_name(button, 16)
        subs = button.get("sub_button", [])
        if not isinstance(subs, list) or len(subs) > 5:
            raise WeChatFailure(40023, "invalid sub button size")
        for sub in subs:
            _check_name(sub, 60)
        if not subs and "type" not in button:
            raise WeChatFailure(40017, "invalid button type")


# WeChat stopped matching personalised menus on privacy data (gender, region, language):
# a rule naming any of them is refused with 65320; tags and the phone's OS remain.
PRIVATE_MATCH_KEYS = frozenset({"sex", "country", "province", "city", "language"})
MATCH_KEYS = PRIVATE_MATCH_KEYS | {"tag_id", "group_id", "client_platform_type"}


def check_matchrule(rule: Any, tags: dict[int, str]) -> None:
    """Reject an empty rule (65304), a privacy rule (65320) or an unknown tag (45159)."""
    given = {k: v for k, v in rule.items() if k in MATCH_KEYS and v not in (None, "")} \
        if isinstance(rule, dict) else {}
    if not given:
        raise WeChatFailure(E.MATCH_RULE_EMPTY.value, "match rule empty")
    if set(given) & PRIVATE_MATCH_KEYS:
        raise WeChatFailure(65320, "matchrule with privacy info is not supported")
    tag = given.get("tag_id")
    if tag is not None and (not str(tag).isdigit() or int(tag) not in tags):
        raise WeChatFailure(45159, "invalid tag id")
    if given.get("client_platform_type", "1") not in ("1", "2", "3"):
        raise WeChatFailure(E.MATCH_RULE_EMPTY.value, "invalid client_platform_type")


def _check_name(button: Any, max_bytes: int) -> None:
    """WeChat counts menu names in UTF-8 bytes."""
    name = button.get("name") if isinstance(button, dict) else None
    if not isinstance(name, str) or not 0 < len(name.encode()) <= max_bytes:
        raise WeChatFailure(E.INVALID_BUTTON_NAME_SIZE.value, "invalid button name size")


def check_wxacode(body: Any) -> tuple[str, str]:
    """Validate a getwxacodeunlimit request; return its scene and page."""
    if not isinstance(body, dict):
        raise WeChatFailure(E.INVALID_TEMPLATE_ARGUMENT.value, "argument invalid!")
    scene, page = body.get("scene"), body.get("page", "")
    if not isinstance(scene, str) or not _SCENE.match(scene):
        raise WeChatFailure(40169, "invalid length for scene, or the data is not json string")
    if not isinstance(page, str) or page.startswith("/"):
        raise WeChatFailure(E.INVALID_PAGE.value, "invalid page")
    return scene, page
