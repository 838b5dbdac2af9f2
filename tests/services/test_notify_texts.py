"""Notification texts in zh_CN, en and my; subscribe fields cut cleanly to WeChat's limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from borderpass.services.notify import kinds
from borderpass.services.notify.fit import fit, is_break
from borderpass.services.notify.kinds import daytime_from, user_zone
from borderpass.services.notify.texts import Reader, plain_text, render, subscribe_data

NOW = datetime(2027, 2, 20, 2, 0, tzinfo=UTC)
DEADLINE = "2027-02-26T02:00:00+00:00"
MYANMAR = re.compile("[\u1000-\u104f]")
TRIP = {"trip_id": 1, "filing_id": 2, "plate": "云N12345", "deadline": DEADLINE, "stage": "d7"}
EXPORT_VEHICLE = {"vehicle_id": 1, "licence_id": 2, "licence_number": "27EX00000002",
                  "enterprise_id": 3, "enterprise": "瑞丽二手车出口有限公司",
                  "vin": "LFV2A21K000000019", "brand": "丰田牌", "model": "TV7250GLD",
                  "cancel_due_at": DEADLINE, "stage": "d3"}


def _reader(locale: str) -> Reader:
    return Reader(locale, user_zone(None, locale), NOW)


@pytest.mark.parametrize(("locale", "expect"), [
    ("zh_CN", "须于 2027年2月26日 10:00 前返回入境"),
    ("en", "must come back and enter China before February 26, 2027"),
    ("my", "2027 ဖေဖော်ဝါရီ 26"),
])
def test_trip_reminder_in_three_locales(locale: str, expect: str) -> None:  # R-F8
    message = render(kinds.TRIP_DEADLINE, TRIP, _reader(locale))
    text = plain_text(message)
    assert expect in text and "云N12345" in text and "6" in text
    if locale == "my":
        assert MYANMAR.search(message.title) and " 8:30 " in text  # Asia/Yangon for Burmese
    assert "{" not in text


@pytest.mark.parametrize("locale", ["zh_CN", "en", "my"])
def test_every_kind_renders_in_every_locale(locale: str) -> None:
    payloads = {
        kinds.FILING_APPROVED: {"filing_id": 2, "plate": "云N1", "expires_at": DEADLINE},
        kinds.FILING_RETURNED: {"filing_id": 2, "plate": "云N1", "returned_at": DEADLINE,
                                "reasons": [{"field": "vehicle.vin", "code": "other",
                                             "message": "照片模糊"},
                                            {"field": "general", "code": "document_required",
                                             "message": ""}]},
        kinds.FILING_EXPIRING: {"filing_id": 2, "plate": "云N1", "expires_at": DEADLINE,
                                "stage": "d7"},
        kinds.DECLARATION_ACCEPTED: {"declaration_id": 9, "filing_id": 2, "plate": "云N1",
                                     "direction": "exit", "port": "ruili",
                                     "planned_at": NOW.isoformat()},
        kinds.TRIP_OPENED: {**TRIP, "port": "ruili", "exited_at": NOW.isoformat()},
        kinds.TRIP_DEADLINE: TRIP,
        kinds.BLACKLISTED: TRIP,
        kinds.UNIT_LIST_CHANGED: {"unit": "瑞丽边贸有限公司", "subject": "岩温",
                                  "change": "removed", "reason": "left_unit"},
        kinds.EXPORT_CANCEL_DUE: EXPORT_VEHICLE,  # R-E7
        kinds.EXPORT_CANCEL_OVERDUE: {**EXPORT_VEHICLE, "stage": "overdue"},
        kinds.DATA_EXPORT_READY: {"export_id": 3, "expires_at": DEADLINE},  # R-D3
    }
    assert set(payloads) == kinds.KINDS
    for kind, payload in payloads.items():
        message = render(kind, payload, _reader(locale))
        data = subscribe_data(message, _reader(locale))
        assert all(len(v) <= 20 for k, v in data.items() if k.startswith("thing")), kind
        assert message.lines and message.link_text and "{" not in plain_text(message)
        if locale != "zh_CN":
            assert not re.search("[\u4e00-\u9fff]", message.title), (kind, message.title)


def test_returned_filing_lists_every_reason() -> None:  # R-F6
    payload = {"filing_id": 2, "plate": "云N1", "returned_at": DEADLINE, "reasons": [
        {"field": "vehicle.vin", "code": "other", "message": "照片模糊"},
        {"field": "general", "code": "document_required", "message": ""}]}
    lines = render(kinds.FILING_RETURNED, payload, _reader("en")).lines
    assert "2 point(s)" in lines[0]
    assert lines[1].startswith("1. ") and lines[1].endswith("照片模糊")
    assert lines[2].startswith("2. ") and len(lines) == 3


def test_exit_acceptance_links_the_pass_and_promises_no_deadline() -> None:  # R-F8
    # Changed for issue 26: the deadline counts from the exit crossing, not the declaration.
    payload = {"declaration_id": 9, "filing_id": 2, "plate": "云N1", "direction": "exit",
               "port": "ruili", "planned_at": NOW.isoformat()}
    message = render(kinds.DECLARATION_ACCEPTED, payload, _reader("zh_CN"))
    assert message.page == "pages/pass/index?declaration=9"
    assert "瑞丽 口岸" in message.lines[0]
    assert not any("返回" in line for line in message.lines)


@pytest.mark.parametrize(("locale", "expect"), [
    ("zh_CN", "请于 2027年2月26日 10:00 前返回入境"),
    ("en", "before February 26, 2027"),
])
def test_exit_crossing_message_states_the_deadline(locale: str, expect: str) -> None:  # R-F8
    payload = {"trip_id": 1, "filing_id": 2, "plate": "云N1", "port": "ruili",
               "exited_at": NOW.isoformat(), "deadline": DEADLINE}
    message = render(kinds.TRIP_OPENED, payload, _reader(locale))
    assert expect in plain_text(message) and "云N1" in message.lines[0]


@pytest.mark.parametrize("text", [
    "ယာဉ်ပိုင်ရှင် သို့မဟုတ် ယာဉ်မောင်းသည် အမည်ပျက်စာရင်းတွင် ပါဝင်နေသဖြင့်",
    "ကျေးဇူးပြု၍ သတ်မှတ်ရက်အတွင်း ပြန်ဝင်ပါ",
    "အမည်ပျက်စာရင်းတွင်ထည့်သွင်းခံရပါပြီဖြစ်သည်",
    "Please come back before the deadline to avoid the blacklist",
    "请按期返回入境，逾期将被列入黑名单并移交有关部门",
    "Supercalifragilisticexpialidocious",
])
def test_fit_cuts_at_a_clean_boundary(text: str) -> None:
    cut = fit(text, 20)
    assert len(cut) <= 20 and cut.endswith("…")
    head = cut[:-1]
    assert text.startswith(head) and is_break(text, len(head))
    assert not head.endswith(" ")


def test_fit_keeps_burmese_syllables_and_english_words_whole() -> None:
    assert fit("Please come back before the deadline", 20) == "Please come back…"
    burmese = fit("ကျေးဇူးပြု၍ သတ်မှတ်ရက်အတွင်း ပြန်ဝင်ပါ", 20)
    assert burmese == "ကျေးဇူးပြု၍…"
    # never between a consonant and its asat: "ရက်" stays whole
    assert not fit("သတ်မှတ်ရက်အတွင်းပြန်ဝင်ပါခင်ဗျာ", 12).endswith("ရ…")
    assert fit("short", 20) == "short"


def test_reminders_wait_for_daytime_in_the_users_zone() -> None:
    shanghai, yangon = ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Yangon")
    assert user_zone(None, "my") == yangon and user_zone(None, "en") == shanghai
    assert user_zone("Asia/Bangkok", "my") == ZoneInfo("Asia/Bangkok")
    late = datetime(2027, 2, 20, 14, 0, tzinfo=UTC)  # 22:00 Shanghai, 20:30 Yangon
    assert daytime_from(late, shanghai) == datetime(2027, 2, 21, 0, 0, tzinfo=UTC)
    assert daytime_from(late, yangon) == late
    early = datetime(2027, 2, 20, 23, 0, tzinfo=UTC)  # 07:00 Shanghai
    assert daytime_from(early, shanghai) == datetime(2027, 2, 21, 0, 0, tzinfo=UTC)
