"""Subscribe titles and tips fit WeChat's thing fields (≤ 20 characters) uncut, in every
locale, and no two events share a title (issue #18 item 10: Burmese "approved" and
"returned" were both cut to the same "မှတ်ပုံတင်မှု…")."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from borderpass.core.i18n import LOCALES
from borderpass.services.notify import kinds, texts
from borderpass.services.notify.channels import SUBSCRIBE_THING_LIMIT

AT = "2027-01-01T00:00:00+00:00"
PAYLOAD = {"filing_id": 1, "plate": "云N12345", "expires_at": AT, "approved_at": AT,
           "returned_at": AT, "reasons": [], "declaration_id": 1, "direction": "exit",
           "port": "ruili", "planned_at": AT, "deadline": AT, "exited_at": AT, "trip_id": 1,
           "stage": "d7",
           "unit": "瑞丽某公司", "subject": "张三", "change": "added", "reason": "",
           "vin": "LSVAU2180N2183294", "brand": "丰田", "model": "卡罗拉", "enterprise_id": 1,
           "enterprise": "瑞丽某公司", "cancel_due_at": AT, "export_id": 1}


def _fields(kind: str, locale: str) -> dict[str, str]:
    reader = texts.Reader(locale, ZoneInfo("Asia/Shanghai"), datetime(2026, 12, 1, tzinfo=UTC))
    return texts.subscribe_data(texts.render(kind, PAYLOAD, reader), reader)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", sorted(kinds.KINDS))
def test_title_and_tip_fit_uncut(kind: str, locale: str) -> None:
    data = _fields(kind, locale)
    title, tip = (texts.SUBSCRIBE_WORDS[kind][0], texts.SUBSCRIBE_WORDS[kind][1])
    reader = texts.Reader(locale, ZoneInfo("UTC"), datetime(2026, 12, 1, tzinfo=UTC))
    assert data["thing2"] == reader.t(title) and data["thing4"] == reader.t(tip)  # not cut
    for name in ("thing2", "thing4"):
        assert 0 < len(data[name]) <= SUBSCRIBE_THING_LIMIT and "…" not in data[name]
    if locale != "zh_CN":  # translated, not the Chinese source shown to a foreign reader
        assert data["thing2"] != title and data["thing4"] != tip


@pytest.mark.parametrize("locale", LOCALES)
def test_every_event_has_its_own_title(locale: str) -> None:
    titles = {kind: _fields(kind, locale)["thing2"] for kind in kinds.KINDS}
    assert len(set(titles.values())) == len(titles), titles
    assert titles[kinds.FILING_APPROVED] != titles[kinds.FILING_RETURNED]
