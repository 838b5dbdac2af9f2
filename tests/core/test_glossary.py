"""Every catalog uses the glossary's one rendering of each checked term (issue #18 item 8:
口岸办 once rendered as a seaport office, 通行码 as two different Burmese words)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parents[2] / "borderpass" / "locales"
COLUMNS = {"my": 1, "en": 2}


def _glossary() -> list[tuple[str, dict[str, list[str]], bool]]:
    rows = []
    for line in (LOCALES / "GLOSSARY.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or cells[0] in ("中文", "") or set(cells[0]) <= {"-"}:
            continue
        forms = {loc: [f.strip().lower() for f in cells[i].split("/")]
                 for loc, i in COLUMNS.items()}
        rows.append((cells[0], forms, cells[3] == "yes"))
    return rows


GLOSSARY = _glossary()
TERMS = [term for term, _, _ in GLOSSARY]


def _longer_terms(term: str) -> list[str]:
    return [t for t in TERMS if t != term and term in t]


def test_glossary_lists_the_seed_terms() -> None:
    for term in ("备案", "申报", "出境", "入境", "口岸", "口岸办", "通行码", "黑名单", "信用承诺"):
        assert term in TERMS


@pytest.mark.parametrize("locale", ["my", "en"])
@pytest.mark.parametrize("term", [t for t, _, checked in GLOSSARY if checked])
def test_every_catalog_entry_uses_the_glossary_rendering(term: str, locale: str) -> None:
    forms = dict((t, f) for t, f, _ in GLOSSARY)[term][locale]
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    wrong = []
    for message in catalog:
        source = message.id if isinstance(message.id, str) else ""
        if not source or term not in source or not message.string:
            continue
        rest = source
        for longer in _longer_terms(term):
            rest = rest.replace(longer, "")
        if term not in rest:
            continue  # only inside a longer glossary term, checked as that one
        text = str(message.string).lower()
        if not any(form in text for form in forms):
            wrong.append(f"{source} → {message.string}")
    assert not wrong, "\n".join(wrong)
