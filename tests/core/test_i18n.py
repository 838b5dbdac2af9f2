"""The gettext catalogs: complete, placeholder-true, Unicode Burmese, and in step with the code."""

from __future__ import annotations

import importlib.util
import re
import string
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from borderpass.core.i18n import LOCALE_DIR, negotiate, translate
from borderpass.core.messages import ERRORS, error_message

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = LOCALE_DIR / "messages.pot"
TARGETS = ("en", "my")

# Myanmar script as Unicode Burmese writes it: consonants to punctuation, U+1000–U+104F.
# U+1050–U+109F are for Mon, Shan, Karen … and Zawgyi misuses U+1060–U+1097 for its
# stacked and variant glyphs, so a Burmese string never needs them.
MYANMAR = re.compile("[\u1000-\u109f]")
BURMESE_RANGE = re.compile("[\u1000-\u104f]")
EXTENDED = re.compile("[\u1050-\u109f]")
# A dependent sign (vowel, tone, medial, asat) cannot start a word in Unicode; in Zawgyi
# the vowel E (U+1031) and medial ra (U+103B there) are typed before their consonant.
DEPENDENT_AT_START = re.compile(r"(?:^|[\s(（:：,，/])[\u102b-\u103e]")
# Unicode storage order (UTN #11): medials ya < ra < wa < ha; lower vowel before anusvara;
# dot below before asat.
BAD_ORDER = re.compile(
    "[\u103c-\u103e]\u103b|[\u103d\u103e]\u103c|\u103e\u103d"
    "|\u1036[\u102f\u1030]|\u103a\u1037"
)
# Code points whose shape or place differs between Zawgyi and Unicode: a string without
# any of them reads the same in both, and the detector's score says nothing about it.
ENCODING_SENSITIVE = frozenset("\u1031\u1039\u103a\u103b\u103c\u103d\u103e")
# ASCII a translation must carry over unchanged: JSON, JPEG, +95, 2026-01-02T08:30:00+08:00 …
ASCII_TOKEN = re.compile(r"[A-Za-z0-9+][A-Za-z0-9+:.\-]*")


def _load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


@cache
def template() -> Catalog:
    return _load(TEMPLATE)


@cache
def catalog(locale: str) -> Catalog:
    return _load(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po", locale)


def msgids() -> list[str]:
    return [str(m.id) for m in template() if m.id]


def placeholders(text: str) -> set[str]:
    """The {names} of a str.format template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def without_placeholders(text: str) -> str:
    return re.sub(r"\{[^{}]*\}", " ", text)


def translations(locale: str) -> list[tuple[str, str]]:
    return [(str(m.id), str(m.string)) for m in catalog(locale) if m.id]


def load_update_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "update_locales", ROOT / "scripts" / "update_locales.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the template and the catalogs ------------------------------------------------------


def test_template_is_up_to_date_with_the_code() -> None:
    """Re-extracting the code gives the committed template's strings (run the update script)."""
    extracted = {str(m.id) for m in load_update_script().extract(ROOT) if m.id}
    committed = set(msgids())
    assert not extracted - committed, (
        "strings in code but not in messages.pot; run: .venv/bin/python "
        f"scripts/update_locales.py — {sorted(extracted - committed)}")
    assert not committed - extracted, (
        f"strings in messages.pot no longer in code: {sorted(committed - extracted)}")


def test_every_error_message_is_in_the_template() -> None:
    assert set(ERRORS.values()) <= set(msgids())


@pytest.mark.parametrize("locale", [*TARGETS, "zh_CN"])
def test_catalog_holds_exactly_the_template_strings(locale: str) -> None:
    assert {m for m, _ in translations(locale)} == set(msgids())


@pytest.mark.parametrize("locale", TARGETS)
def test_every_string_is_translated(locale: str) -> None:
    missing = [str(m.id) for m in catalog(locale) if m.id and (not m.string or m.fuzzy)]
    assert not missing, f"untranslated or fuzzy in {locale}: {missing}"


def test_source_catalog_keeps_msgstrs_empty() -> None:
    """zh_CN is the source language: the msgid itself is shown."""
    assert all(not text for _, text in translations("zh_CN"))


@pytest.mark.parametrize(("locale", "plural_forms"), [
    ("en", "nplurals=2; plural=(n != 1);"),
    ("my", "nplurals=1; plural=0;"),
    ("zh_CN", "nplurals=1; plural=0;"),
])
def test_catalog_headers(locale: str, plural_forms: str) -> None:
    headers = dict(catalog(locale).mime_headers)
    assert headers["Plural-Forms"] == plural_forms
    assert headers["Language"] == locale
    assert "charset=utf-8" in headers["Content-Type"]


@pytest.mark.parametrize("locale", TARGETS)
def test_placeholders_are_kept_exactly(locale: str) -> None:
    wrong = [(msgid, text) for msgid, text in translations(locale)
             if placeholders(text) != placeholders(msgid)]
    assert not wrong


@pytest.mark.parametrize("locale", TARGETS)
def test_every_translation_formats(locale: str) -> None:
    """No stray brace breaks str.format when the message is filled in."""
    for msgid, text in translations(locale):
        filled = text.format(**dict.fromkeys(placeholders(msgid), "⟨x⟩"))
        assert "{" not in filled and "}" not in filled


@pytest.mark.parametrize("locale", TARGETS)
def test_technical_identifiers_are_unchanged(locale: str) -> None:
    """JSON, JPEG, PNG, WebP, +95, numbers and example dates appear as in the source."""
    lost = [(msgid, token, text) for msgid, text in translations(locale)
            for token in ASCII_TOKEN.findall(without_placeholders(msgid)) if token not in text]
    assert not lost


def test_english_has_no_chinese_left() -> None:
    assert not [t for _, t in translations("en") if re.search("[\u3000-\u9fff\uff00-\uffef]", t)]


# --- Burmese: Unicode Myanmar script, never Zawgyi -------------------------------------


def test_burmese_is_written_in_myanmar_script() -> None:
    latin_only = [msgid for msgid, text in translations("my") if not MYANMAR.search(text)]
    assert not latin_only
    assert not [t for _, t in translations("my") if re.search("[\u3000-\u9fff\uff00-\uffef]", t)]


def test_burmese_uses_no_zawgyi_code_points() -> None:
    assert not [t for _, t in translations("my") if EXTENDED.search(t)]
    assert all(BURMESE_RANGE.search(t) for _, t in translations("my"))


def test_burmese_has_no_dependent_sign_at_a_word_start() -> None:
    assert not [t for _, t in translations("my") if DEPENDENT_AT_START.search(t)]


def test_burmese_is_in_unicode_storage_order() -> None:
    assert not [t for _, t in translations("my") if BAD_ORDER.search(t)]


def test_zawgyi_heuristics_catch_zawgyi() -> None:
    """The checks above do flag typical Zawgyi text ('please log in first', 'Myanmar')."""
    zawgyi = ["ေက်းဇူးျပဳ၍ ဦးစြာ အေကာင့္ဝင္ပါ", "ျမန္မာ", "\u106a\u102c"]
    assert all(DEPENDENT_AT_START.search(z) or EXTENDED.search(z) for z in zawgyi)


def test_burmese_is_not_zawgyi_by_detector() -> None:
    """Google's Zawgyi detector (myanmartools) agrees, string by string and as a whole."""
    tools = pytest.importorskip("myanmartools")
    detector = tools.ZawgyiDetector()
    texts = [t for _, t in translations("my")]
    assert detector.get_zawgyi_probability("ေက်းဇူးျပဳ၍ ဦးစြာ အေကာင့္ဝင္ပါ") > 0.99
    suspects = [(t, p) for t in texts if ENCODING_SENSITIVE & set(t)
                and (p := detector.get_zawgyi_probability(t)) > 0.5]
    assert not suspects
    assert detector.get_zawgyi_probability("\n".join(texts)) < 0.01


def test_review_list_quotes_the_current_burmese() -> None:
    """REVIEW.md shows reviewers the strings as they are in the catalog, not an old copy."""
    current = dict(translations("my"))
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in (LOCALE_DIR / "REVIEW.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("|")]
    quoted = [(row[0], row[1]) for row in rows if len(row) == 3 and row[0] in current]
    assert len(quoted) >= 10
    assert [(msgid, text) for msgid, text in quoted if current[msgid] != text] == []


# --- run time: translate() and negotiate() ---------------------------------------------


@pytest.mark.parametrize("locale", TARGETS)
def test_runtime_catalog_translates_every_string(locale: str) -> None:
    """The catalog compiled at start-up answers every msgid (no fuzzy or lost entry)."""
    same = [m for m in msgids() if translate(m, locale) == m]
    assert not same


def test_translate_renders_an_error_in_all_three_locales() -> None:
    params: dict[str, object] = {"from_date": "2026-03-01"}
    zh = error_message("transfer_too_recent", "zh_CN", params)
    en = error_message("transfer_too_recent", "en", params)
    my = error_message("transfer_too_recent", "my", params)
    assert zh == "车辆过户未满 6 个月，不能备案；2026-03-01 起可以备案"
    assert en == ("The vehicle changed owner less than 6 months ago and cannot be filed yet; "
                  "it can be filed from 2026-03-01")
    assert "2026-03-01" in my and MYANMAR.search(my) and "{" not in my


def test_translate_fills_placeholders_and_falls_back() -> None:
    assert translate(ERRORS["length"], "en", max=20) == "Must be at most 20 characters long"
    assert translate(ERRORS["length"], "my", max=20) == "စာလုံးရေ 20 လုံးထက် မပိုရပါ"
    assert translate(ERRORS["length"], "fr", max=20) == "长度不能超过 20 个字符"
    assert translate("未登记的文字", "en") == "未登记的文字"


@pytest.mark.parametrize(("header", "locale"), [
    ("my-MM", "my"),
    ("my", "my"),
    ("en-US;q=0.8", "en"),
    ("zh", "zh_CN"),
    ("zh-CN,zh;q=0.9", "zh_CN"),
    ("my-MM, en-US;q=0.8, zh;q=0.5", "my"),
    ("zh;q=0.5, en-US;q=0.8, my-MM;q=0.9", "my"),
    ("fr-FR, en-GB;q=0.7", "en"),
    ("en-US;q=0.8, zh", "zh_CN"),
    ("fr", "zh_CN"),
    ("", "zh_CN"),
    (None, "zh_CN"),
])
def test_negotiate_picks_the_best_supported_locale(header: str | None, locale: str) -> None:
    assert negotiate(header) == locale


# --- the update script -----------------------------------------------------------------


def _tmp_project(root: Path) -> None:
    (root / "babel.cfg").write_text((ROOT / "babel.cfg").read_text(encoding="utf-8"),
                                    encoding="utf-8")
    package = root / "borderpass" / "sub"
    package.mkdir(parents=True)
    (package / "mod.py").write_text(
        'from borderpass.core.i18n import N_, translate\n'
        'A = N_("甲")\n'
        'B = translate("乙 {n}", "en", n=1)\n'
        'C = _("丙")\n'
        'D = "丁".translate({})\n'
        'E = translate(A, "en")\n'
        'F = "不标记"\n', encoding="utf-8")
    en = root / "borderpass" / "locales" / "en" / "LC_MESSAGES"
    en.mkdir(parents=True)
    (en / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "甲"\nmsgstr "A"\n\nmsgid "旧"\nmsgstr "old"\n', encoding="utf-8")


def test_update_script_extracts_merges_and_checks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = load_update_script()
    _tmp_project(tmp_path)
    monkeypatch.setattr(script, "ROOT", tmp_path)
    monkeypatch.setattr(script, "LOCALE_DIR", tmp_path / "borderpass" / "locales")
    monkeypatch.setattr(script, "TEMPLATE", tmp_path / "borderpass" / "locales" / "messages.pot")
    assert {str(m.id) for m in script.extract(tmp_path) if m.id} == {"甲", "乙 {n}", "丙"}

    assert script.main([]) == 0
    en = _load(tmp_path / "borderpass/locales/en/LC_MESSAGES/messages.po", "en")
    assert {str(m.id): m.string for m in en if m.id} == {"甲": "A", "乙 {n}": "", "丙": ""}
    my = _load(tmp_path / "borderpass/locales/my/LC_MESSAGES/messages.po", "my")
    assert dict(my.mime_headers)["Plural-Forms"] == "nplurals=1; plural=0;"

    files = sorted((tmp_path / "borderpass" / "locales").rglob("*.po*"))
    before = {f: f.read_bytes() for f in files}
    capsys.readouterr()
    assert script.main(["--check"]) == 1  # nothing stale, but strings untranslated
    out = capsys.readouterr().out
    assert "out of date" not in out and "untranslated [en]: 丙" in out
    assert {f: f.read_bytes() for f in files} == before
