"""One formatter for a domain error as text, used by every door: the API's ``message``, the
console's banner and the bot's reply are the same line, the separator the reader's script's
(full-width only in Chinese)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from borderpass.bot.engine import Turn
from borderpass.bot.storage import DialogState
from borderpass.console import base as console_base
from borderpass.core.errors import BorderPassError, FieldError, FieldErrors
from borderpass.core.messages import error_message
from borderpass.miniapp_api.middleware import render
from borderpass.services.error_text import (
    all_errors_line,
    error_line,
    first_error_line,
    label_separator,
)

VIN_O = FieldError("vin_letter_o", "vehicle.vin", position=6, char="O", suggestion="0")


def test_separator_per_locale() -> None:
    assert label_separator("zh_CN") == "："
    assert label_separator("en") == ": "
    assert label_separator("my") == ": "  # Burmese has no colon of its own: ASCII, spaced


@pytest.mark.parametrize(("locale", "label"), [("zh_CN", "车辆识别代号："),
                                               ("en", "Vehicle identification number (VIN): ")])
def test_line_names_the_field(locale: str, label: str) -> None:
    message = error_message("vin_letter_o", locale, VIN_O.params)
    assert error_line(VIN_O, locale) == label + message


def test_burmese_line_has_no_full_width_colon() -> None:
    line = error_line(VIN_O, "my")
    assert "：" not in line and ": " in line


def test_no_field_no_label() -> None:
    err = BorderPassError("internal")
    assert error_line(err, "en") == error_message("internal", "en", {})


def test_several_errors() -> None:
    both = FieldErrors([VIN_O, FieldError("required", "vehicle.plate_number")])
    assert first_error_line(both, "en") == error_line(VIN_O, "en")
    for locale in ("zh_CN", "en", "my"):
        lines = [error_line(e, locale) for e in both.errors]
        sep = "；" if locale == "zh_CN" else "; "
        assert all_errors_line(both, locale) == sep.join(lines)


def _bot_line(err: BorderPassError, locale: str) -> str:
    user: Any = SimpleNamespace(locale=locale)
    return Turn(None, "o-x", user, DialogState(locale=locale)).error(err)  # type: ignore[arg-type]


def _console_line(err: BorderPassError, locale: str) -> str:
    token = console_base._locale.set(locale)
    try:
        return console_base.error_text(err)
    finally:
        console_base._locale.reset(token)


@pytest.mark.parametrize("locale", ["zh_CN", "my", "en"])
def test_every_door_writes_the_same_line(locale: str) -> None:
    expected = error_line(VIN_O, locale)
    assert render(VIN_O, locale)["message"] == expected
    assert _console_line(VIN_O, locale) == expected
    assert _bot_line(VIN_O, locale) == expected
    assert _bot_line(FieldErrors([VIN_O]), locale) == expected
