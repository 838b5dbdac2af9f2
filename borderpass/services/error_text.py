"""A domain error as one line of text, the same in every door: "Label: message".

The API's ``message``, the console's error banner and the bot's reply all come from
:func:`error_line`, so the label, the message and the separator cannot drift apart. The
separator follows the reader's script: Chinese takes the full-width colon and semicolon
(the house catalogs' own punctuation, e.g. ``只能是以下之一：{choices}``); English and
Burmese take ASCII ``": "`` and ``"; "``.
"""

from __future__ import annotations

from borderpass.core.errors import BorderPassError, FieldErrors
from borderpass.core.i18n import translate
from borderpass.core.messages import error_message
from borderpass.services.filings.requirements import field_label

_LABEL_SEPARATORS = {"zh_CN": "："}
_LIST_SEPARATORS = {"zh_CN": "；"}


def label_separator(locale: str) -> str:
    """What stands between a label and its value or message in ``locale``."""
    return _LABEL_SEPARATORS.get(locale, ": ")


def list_separator(locale: str) -> str:
    """What stands between several messages written on one line in ``locale``."""
    return _LIST_SEPARATORS.get(locale, "; ")


def error_line(err: BorderPassError, locale: str) -> str:
    """One error in ``locale``: its message, after the label of its field when it names one."""
    message = error_message(err.code, locale, err.params)
    label = field_label(err.field) if err.field else None
    if not label:
        return message
    return f"{translate(label, locale)}{label_separator(locale)}{message}"


def first_error_line(err: BorderPassError, locale: str) -> str:
    """The first problem of ``err`` as one line (a chat reply asks one thing at a time)."""
    return error_line(err.errors[0] if isinstance(err, FieldErrors) else err, locale)


def all_errors_line(err: BorderPassError, locale: str) -> str:
    """Every problem of ``err`` on one line, each naming its field (a form page)."""
    if not isinstance(err, FieldErrors):
        return error_line(err, locale)
    return list_separator(locale).join(error_line(e, locale) for e in err.errors)
