"""Regenerate the message template and update the en, my and zh_CN catalogs.

Run from anywhere:  ``.venv/bin/python scripts/update_locales.py``  (``--check`` only
reports). It extracts every ``N_("…")``, ``translate("…", …)`` and ``_("…")`` under
``borderpass/`` (map in ``babel.cfg``) into ``borderpass/locales/messages.pot``, then
merges that template into each ``borderpass/locales/{locale}/LC_MESSAGES/messages.po``:
existing translations are kept, new strings arrive empty (or fuzzy, when Babel finds
a near match: a fuzzy entry is not used at run time until a translator confirms it),
and strings gone from the code are dropped. Files are rewritten only when their
content changes, so a run on unchanged code leaves the tree clean.

The same commands with the CLI::

    pybabel extract -F babel.cfg --no-default-keywords -k N_ -k translate -k _ \\
        --add-comments=TRANSLATORS: -o borderpass/locales/messages.pot .
    pybabel update -i borderpass/locales/messages.pot -d borderpass/locales \\
        --ignore-obsolete
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "borderpass" / "locales"
TEMPLATE = LOCALE_DIR / "messages.pot"
LOCALES = ("en", "my", "zh_CN")  # zh_CN is the source language: its msgstrs stay empty
KEYWORDS: dict[str, None] = {"N_": None, "translate": None, "_": None}
COMMENT_TAGS = ("TRANSLATORS:",)
WIDTH = 99
# Babel's parser is untyped; this is the shape it returns (method map, options per pattern).
_parse_mapping: Callable[..., tuple[list[tuple[str, str]], dict[str, dict[str, str]]]]
_parse_mapping = parse_mapping_cfg


def _version() -> str:
    try:
        return version("borderpass")
    except PackageNotFoundError:
        return "0"


def _catalog(locale: str | None = None) -> Catalog:
    """An empty catalog (or template, without a locale) with the project's header."""
    return Catalog(locale=locale, project="BorderPass", version=_version(),
                   copyright_holder="the BorderPass authors", msgid_bugs_address="",
                   charset="utf-8", fuzzy=False)


def extract(root: Path | None = None) -> Catalog:
    """A template catalog of every marked string under ``borderpass/``, per babel.cfg."""
    root = root or ROOT
    with (root / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = _parse_mapping(fh, "babel.cfg")
    template = _catalog()
    found = extract_from_dir(str(root), method_map, options_map, keywords=KEYWORDS,
                             comment_tags=COMMENT_TAGS, strip_comment_tags=True)
    for filename, lineno, message, comments, context in found:
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def _render(catalog: Catalog) -> bytes:
    """The .po text of a catalog: file names without line numbers, so diffs stay small."""
    buf = io.BytesIO()
    write_po(buf, catalog, width=WIDTH, ignore_obsolete=True, include_lineno=False)
    return buf.getvalue()


def _write_if_changed(path: Path, content: bytes, check: bool) -> bool:
    """Write ``content`` unless the file already holds it; report whether it differed."""
    if path.exists() and path.read_bytes() == content:
        return False
    print(("out of date: " if check else "updated: ") + str(path.relative_to(ROOT)))
    if not check:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return True


def update_template(check: bool) -> tuple[Catalog, bool]:
    """Re-extract the template; its date moves only when its messages or files do."""
    template = extract()
    if TEMPLATE.exists():
        now = template.creation_date
        with TEMPLATE.open("rb") as fh:
            template.creation_date = read_po(fh).creation_date
        if TEMPLATE.read_bytes() == _render(template):
            return template, False
        template.creation_date = now
    return template, _write_if_changed(TEMPLATE, _render(template), check)


def update_catalog(locale: str, template: Catalog, check: bool) -> bool:
    """Merge the template into one locale's catalog, keeping its translations."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
    else:
        catalog = _catalog(locale)
    catalog.update(template, update_header_comment=False)
    catalog.obsolete.clear()
    return _write_if_changed(path, _render(catalog), check)


def untranslated(locale: str) -> list[str]:
    """Msgids of a catalog without a confirmed translation (empty or fuzzy)."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    return [str(m.id) for m in catalog if m.id and (not m.string or m.fuzzy)]


def main(argv: list[str] | None = None) -> int:
    """Update the template and catalogs; with --check, fail if anything is out of date."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a file is stale or a string untranslated")
    args = parser.parse_args(argv)
    template, stale = update_template(args.check)
    for locale in LOCALES:
        stale = update_catalog(locale, template, args.check) or stale
    missing = 0
    for locale in LOCALES:
        if locale == "zh_CN":
            continue
        todo = untranslated(locale)
        missing += len(todo)
        for msgid in todo:
            print(f"untranslated [{locale}]: {msgid}")
    print(f"{len([m for m in template if m.id])} messages; {missing} untranslated")
    return 1 if args.check and (stale or missing) else 0


if __name__ == "__main__":
    sys.exit(main())
