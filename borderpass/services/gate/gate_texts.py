"""What the lane display tells the driver, in the lane's languages (R-G3: go to inspection)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from borderpass.core.i18n import N_, translate

OPEN_TEXTS: dict[str, str] = {
    "pass_valid": N_("核验通过，请通行"),
    "emergency": N_("紧急车辆，请通行"),
    "manual_lift": N_("人工抬杆已获海关批准，请通行"),
    "export_cleared": N_("出口车辆已通关，请通行"),
    "credit_list": N_("信用通行名单车辆，请通行"),  # R-G8
}
# Why a pass was refused, as the driver should hear it.
REFUSAL_TEXTS: dict[str, str] = {
    "pass_malformed": N_("无法识别的通行码"),
    "pass_forged": N_("通行码无效"),
    "pass_unknown_key": N_("通行码无效"),
    "pass_expired": N_("通行码已过有效期"),
    "pass_not_yet_valid": N_("通行码尚未生效"),
    "code_stale": N_("动态码已过期，请刷新通行码后重新扫码"),
    "pass_revoked": N_("申报已取消，通行码已失效"),
    "pass_used": N_("该通行码已使用"),
    "wrong_direction": N_("通行码的出入境方向与本通道不符"),
    "wrong_port": N_("通行码不属于本口岸"),
    "wrong_lane_type": N_("本通道不受理此类车辆"),
    "plate_mismatch": N_("车牌与通行码不符"),
    "blacklisted": N_("车主或驾驶人在黑名单中"),
    "vin_invalid": N_("无法识别的车辆识别代号"),
    "vin_mismatch": N_("车辆识别代号与通行码不符"),
    "export_not_cleared": N_("该出口车辆不在已通关的出口许可证上"),
    "export_already_left": N_("该出口车辆已出境"),
    "filing_expired": N_("车辆备案已过期"),  # R-F3
    "filing_revoked": N_("车辆备案已被撤销"),
    # R-G8: the second-line channel and the credit pass list.
    "second_line_check": N_("本车被随机抽中查验"),
    "not_on_credit_list": N_("车辆不在信用通行名单上"),
    "credit_list_removed": N_("车辆已被移出信用通行名单"),
    "credit_list_dishonest": N_("车辆或驾驶人已被列入严重失信名单"),
    "driver_not_listed": N_("驾驶人不在该车辆的信用通行名单条目上"),
}
INSPECTION = N_("{reason}。请驶入查验区接受检查。")


def display(action: str, reason: str, languages: Sequence[str]) -> dict[str, str]:
    """The display text of one command in each of the lane's languages."""
    return dict(_display(action, reason, tuple(languages)))


@functools.lru_cache(maxsize=512)  # a few dozen (action, reason, languages) on a port
def _display(action: str, reason: str, languages: tuple[str, ...]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for locale in languages:
        if action == "open":
            texts[locale] = translate(OPEN_TEXTS.get(reason, OPEN_TEXTS["pass_valid"]), locale)
        else:
            why = translate(REFUSAL_TEXTS.get(reason, REFUSAL_TEXTS["pass_forged"]), locale)
            texts[locale] = translate(INSPECTION, locale, reason=why)
    return texts
