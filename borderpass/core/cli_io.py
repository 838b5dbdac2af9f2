"""What the ``borderpass`` command prints: errors in the user's language, tables or JSON,
and the rule for where its data directory may be created."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from borderpass.core.config import Settings
from borderpass.core.errors import BorderPassError, FieldErrors
from borderpass.core.i18n import normalize_locale

# Commands that may create the data directory; the others need an existing one, so a
# command typed in the wrong folder does not start an empty ./var there.
CREATES_DATA_DIR = frozenset({"serve", "migrate"})
NEEDS_NO_DATA_DIR = frozenset({"ocr", "wechat-menu", "agency-sim"})


def cli_locale(env: Mapping[str, str] | None = None) -> str:
    """The user's language: BORDERPASS_LOCALE, else LC_ALL / LC_MESSAGES / LANG, else en."""
    env = os.environ if env is None else env
    for name in ("BORDERPASS_LOCALE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").split(".")[0]
        if value and value not in ("C", "POSIX"):
            return normalize_locale(value) or "en"
    return "en"


def error_lines(exc: BorderPassError, locale: str) -> list[str]:
    """Each error of ``exc`` as ``field: sentence [code]`` in ``locale`` (the field as the
    command names it: its argument or option)."""
    from borderpass.core.messages import error_message

    errors = exc.errors if isinstance(exc, FieldErrors) else [exc]
    return [(f"{err.field}: " if err.field else "")
            + f"{error_message(err.code, locale, err.params)} [{err.code}]" for err in errors]


def print_error(exc: BorderPassError, out: TextIO | None = None) -> None:
    """``error: <message> [code]`` lines on stderr, in the user's language."""
    for line in error_lines(exc, cli_locale()):
        print(f"error: {line}", file=out or sys.stderr)


def run_command(command: Coroutine[Any, Any, int]) -> int:
    """Run one async subcommand to its exit status; a refusal is printed, status 1."""
    try:
        return asyncio.run(command)
    except BorderPassError as exc:
        print_error(exc)
        return 1


def print_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], as_json: bool,
               out: TextIO | None = None) -> None:
    """Rows as a JSON array (``--json``) or an aligned text table with a header line."""
    out = out or sys.stdout
    if as_json:
        json.dump(list(rows), out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
        return
    if not rows:
        print("(none)", file=out)
        return

    def cell(value: Any) -> str:
        if isinstance(value, list | tuple):
            return ",".join(str(v) for v in value)
        return "—" if value is None else str(value)

    table = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
          file=out)
    for r in table:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip(), file=out)


def data_dir_problem(command: str, settings: Settings,
                     env: Mapping[str, str] | None = None) -> str | None:
    """Why ``command`` should not run here (no data directory to work on), or None."""
    env = os.environ if env is None else env
    if command in CREATES_DATA_DIR | NEEDS_NO_DATA_DIR or settings.data_dir.is_dir():
        return None
    from borderpass.core.messages import error_message

    where = str(Path(settings.data_dir).resolve())
    return error_message("data_dir_missing", cli_locale(env), {"path": where,
                                                               "command": command})
