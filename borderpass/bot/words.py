"""The short answers a driver types, in every language, matched one way everywhere:
yes / no, "I am the owner", "skip". A word counts whatever the user's chosen language
(a Burmese driver may type "ok", a Chinese one "yes"), so no confirm step is stricter
in one language than another (issue #18).
"""

from __future__ import annotations

import unicodedata

# "1"/"2" are the numbered answers every prompt offers; the words are per language.
YES_WORDS: dict[str, frozenset[str]] = {
    "zh_CN": frozenset({"是", "是的", "确认", "对", "对的", "好", "好的", "同意", "可以", "嗯"}),
    "en": frozenset({"yes", "y", "ok", "okay", "yep", "sure", "confirm", "agree"}),
    "my": frozenset({"ဟုတ်ကဲ့", "ဟုတ်", "ဟုတ်တယ်", "ဟုတ်ပါတယ်", "ဟုတ်ပါသည်", "ok",
                     "အိုကေ", "သဘောတူ", "သဘောတူပါတယ်", "သဘောတူပါသည်", "မှန်တယ်", "မှန်ပါတယ်"}),
}
NO_WORDS: dict[str, frozenset[str]] = {
    "zh_CN": frozenset({"否", "不", "不是", "不对", "不好", "不同意", "没有", "无"}),
    "en": frozenset({"no", "n", "nope", "disagree"}),
    "my": frozenset({"မဟုတ်", "မဟုတ်ဘူး", "မဟုတ်ပါ", "မဟုတ်ပါဘူး", "မဟုတ်ပါတယ်",
                     "သဘောမတူ", "သဘောမတူပါ", "မရှိ", "မရှိပါ"}),
}
# "I am the owner" (R-F2: the owner filing for themself needs no power of attorney).
OWNER_WORDS: dict[str, frozenset[str]] = {
    "zh_CN": frozenset({"我就是车主本人", "我就是车主", "我是车主本人", "我是车主", "车主本人",
                        "本人", "我本人", "本人办理", "我自己的车", "自己的车"}),
    "en": frozenset({"i am the owner", "i'm the owner", "im the owner", "i own it",
                     "i own the car", "i own the vehicle", "owner", "my own car", "myself"}),
    "my": frozenset({"ကျွန်တော်ပိုင်ရှင်ပါ", "ကျွန်မပိုင်ရှင်ပါ", "ကျွန်တော်ယာဉ်ပိုင်ရှင်ပါ",
                     "ကျွန်မယာဉ်ပိုင်ရှင်ပါ", "ယာဉ်ပိုင်ရှင်ကိုယ်တိုင်", "ကိုယ်တိုင်",
                     "ပိုင်ရှင်ကိုယ်တိုင်", "ပိုင်ရှင်ပါ", "ကျွန်ုပ်သည်ယာဉ်ပိုင်ရှင်ဖြစ်ပါသည်"}),
}
SKIP_WORDS: dict[str, frozenset[str]] = {
    "zh_CN": frozenset({"跳过", "略过", "没有", "不需要", "无需", "不用"}),
    "en": frozenset({"skip", "none", "not needed", "no need", "n/a", "na"}),
    "my": frozenset({"ကျော်", "ကျော်ပါ", "မလိုပါ", "မလိုအပ်ပါ", "မရှိပါ"}),
}
_TRAILING = "。.!！?？~～၊။,，"


def norm(text: str) -> str:
    """The answer as matched: NFC, case-folded, inner spaces removed for Chinese and Burmese,
    trailing punctuation and a polite Burmese 'ပါ'/'ရှင်'/'ခင်ဗျာ' left off."""
    word = unicodedata.normalize("NFC", text).strip().casefold().rstrip(_TRAILING).strip()
    if not word.isascii():
        word = "".join(word.split())
    for tail in ("ခင်ဗျာ", "ခင်ဗျ", "ရှင့်", "ရှင်"):
        if word.endswith(tail) and len(word) > len(tail):
            word = word[: -len(tail)]
    return word


def _matches(text: str, table: dict[str, frozenset[str]]) -> bool:
    word = norm(text)
    return any(word in {norm(w) for w in words} for words in table.values())


def yes_no(text: str) -> bool | None:
    """True for a yes, False for a no (in any language, or 1 / 2), None for anything else."""
    word = norm(text)
    if word == "1" or _matches(word, YES_WORDS):
        return True
    if word == "2" or _matches(word, NO_WORDS):
        return False
    return None


def is_owner_claim(text: str) -> bool:
    """'我就是车主本人', 'I am the owner', 'ကျွန်တော်ပိုင်ရှင်ပါ' …"""
    return _matches(text, OWNER_WORDS)


def is_skip(text: str) -> bool:
    """'跳过', 'skip', 'ကျော်' …"""
    return _matches(text, SKIP_WORDS)
