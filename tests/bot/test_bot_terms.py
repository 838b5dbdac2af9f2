"""Item 8 of issue #18 as a reader sees it, in all three locales: days left counted right,
port names in the reader's script, the approval telling chat users what to do in chat, no
full-width punctuation in English and Burmese lines, one Burmese word for 通行码."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from borderpass.bot import texts as T
from borderpass.core.i18n import LOCALES, translate
from borderpass.services import clock
from borderpass.services.notify import kinds, texts

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def _text(kind: str, payload: dict, locale: str) -> str:
    reader = texts.Reader(locale, ZoneInfo("Asia/Shanghai"), NOW)
    return texts.plain_text(texts.render(kind, payload, reader))


def test_days_left_counts_whole_days_up() -> None:
    assert clock.days_until(NOW + timedelta(days=90), NOW) == 90
    assert clock.days_until(NOW + timedelta(days=90) - timedelta(seconds=1), NOW) == 90
    assert clock.days_until(NOW + timedelta(hours=30), NOW) == 2
    assert clock.days_until(NOW - timedelta(seconds=1), NOW) == 0


@pytest.mark.parametrize("locale", LOCALES)
def test_a_deadline_90_days_away_says_90(locale: str) -> None:
    deadline = (NOW + timedelta(days=90)).isoformat()
    text = _text(kinds.TRIP_DEADLINE, {"trip_id": 1, "stage": "d14", "plate": "云N12345",
                                       "deadline": deadline}, locale)
    assert "90" in text and "89" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_port_names_in_the_readers_script(locale: str) -> None:
    payload = {"declaration_id": 1, "filing_id": 1, "plate": "云N12345", "direction": "exit",
               "port": "ruili", "planned_at": NOW.isoformat(), "deadline": None}
    text = _text(kinds.DECLARATION_ACCEPTED, payload, locale)
    expected = {"zh_CN": "瑞丽", "my": "ရွှေလီ", "en": "Ruili"}[locale]
    assert expected in text
    assert T.port_name("ruili", locale) == expected
    if locale == "my":
        assert "Ruili" not in text


@pytest.mark.parametrize("locale", LOCALES)
def test_the_approval_tells_chat_users_what_to_send(locale: str) -> None:
    payload = {"filing_id": 1, "plate": "云N12345", "expires_at": NOW.isoformat()}
    text = _text(kinds.FILING_APPROVED, payload, locale)
    assert T.command_words(locale)["declare"] in text  # the word to send in this chat


@pytest.mark.parametrize("locale", ["my", "en"])
def test_no_full_width_punctuation_outside_chinese(locale: str) -> None:
    from babel.messages.pofile import read_po

    from borderpass.core.i18n import LOCALE_DIR

    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    wrong = [m.id for m in catalog if m.id and any(c in str(m.string) for c in "：（），；！？")]
    assert not wrong
    assert T.colon(locale) == ": "


def test_pass_is_one_burmese_word_and_the_old_one_still_works() -> None:
    word = translate("通行码", "my") if translate("通行码", "my") != "通行码" \
        else T.command_words("my")["pass"]
    assert word == "ဖြတ်သန်းခွင့်ကုဒ်"
    assert T.command_of("ဖြတ်သန်းကတ်") == "pass" and T.command_of(word) == "pass"


def test_commitment_in_chat_has_no_markdown() -> None:
    from borderpass.services.filings import commitments

    for locale in LOCALES:
        shown = T.chat_text(commitments.current(commitments.FILING, locale).text)
        assert not any(line.lstrip().startswith("#") for line in shown.splitlines())
        assert "**" not in shown
