"""Return reasons — 退回原因 (R-F6): a code from one catalogue, read by the driver in their
own language, and at most a typed note, stored with the language it was typed in and shown
with that language marked (issue #18: a picked reason arrived as ``{"code":
"image_corrupt", "message": ""}`` and a typed one only in the reviewer's Chinese).
"""

from __future__ import annotations

from borderpass.core.i18n import LOCALES, N_, translate
from borderpass.services.filings.requirements import field_label

# The reasons a reviewer picks from; every text is in the zh_CN, my and en catalogues.
CODES: dict[str, str] = {
    "invalid": N_("填写的内容有误，请核对后改正"),
    "required": N_("缺少此项，请补充"),
    "document_required": N_("缺少此项材料，请上传"),
    "image_corrupt": N_("图片已损坏或不完整，请重新上传"),
    "image_unclear": N_("照片不清晰，请重新拍摄上传"),
    "mismatch": N_("与证件上的信息不一致"),
    "document_expired": N_("证件已过期"),
    "other": N_("其他原因"),
}
OTHER = "other"  # needs a typed note
LANGUAGE_NAMES = {"zh_CN": N_("中文"), "my": N_("缅甸文"), "en": N_("英文")}
NOTE = N_("审核员留言（{language}）：{note}")
NOTE_SAME = N_("审核员留言：{note}")


def code_text(code: str, locale: str) -> str:
    """The catalogue text of a reason code in ``locale`` (an unknown old code: "other")."""
    return translate(CODES.get(code, CODES[OTHER]), locale)


def note_text(reason: dict[str, str], locale: str) -> str:
    """The typed note, its language named when it is not the reader's own."""
    note = reason.get("message", "")
    if not note:
        return ""
    lang = reason.get("lang", "zh_CN")
    if lang == locale:
        return translate(NOTE_SAME, locale, note=note)
    name = translate(LANGUAGE_NAMES.get(lang, LANGUAGE_NAMES["zh_CN"]), locale)
    return translate(NOTE, locale, language=name, note=note)


def field_name(reason: dict[str, str], locale: str) -> str:
    """The field the reason is about, as the form labels it in ``locale``."""
    label = field_label(reason.get("field", ""))
    return translate(label, locale) if label else reason.get("field", "")


def line(i: int, reason: dict[str, str], locale: str) -> str:
    """One numbered reason: field, the coded text, then the marked note if any."""
    colon = "：" if locale == "zh_CN" else ": "
    text = code_text(reason.get("code", OTHER), locale)
    note = note_text(reason, locale)
    sep = "；" if locale == "zh_CN" else "; "
    return f"{i}. {field_name(reason, locale)}{colon}{text}" + (f"{sep}{note}" if note else "")


def typed_language(locale: str | None) -> str:
    """The language a reviewer's note is taken to be written in: their interface language."""
    return locale if locale in LOCALES else "zh_CN"
