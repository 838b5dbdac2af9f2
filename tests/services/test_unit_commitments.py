"""Credit commitment texts (R-U3, R-U4): every version in zh_CN, my and en, hashed at consent."""

from __future__ import annotations

import re

import pytest

from borderpass.core.errors import FieldError
from borderpass.core.i18n import LOCALES
from borderpass.services.filings import commitments

KINDS = tuple(commitments.CURRENT_VERSION)


@pytest.mark.parametrize("kind", KINDS)
def test_every_locale_has_the_same_numbered_points(kind: str) -> None:
    texts = {loc: commitments.current(kind, loc) for loc in LOCALES}
    points = {loc: re.findall(r"^(\d+)\. ", t.text, re.M) for loc, t in texts.items()}
    assert len({tuple(p) for p in points.values()}) == 1 and points["zh_CN"]
    assert len({t.sha256 for t in texts.values()}) == len(LOCALES)


@pytest.mark.parametrize("kind", KINDS)
def test_burmese_text_is_unicode_myanmar_script(kind: str) -> None:
    text = commitments.current(kind, "my").text
    assert re.search("[\u1000-\u104f]", text)
    assert not re.search("[\u1050-\u109f]", text)  # Zawgyi's code points
    assert not re.search("[\u3000-\u9fff]", text)  # no Chinese left
    assert not re.search(r"(?:^|[\s(])[\u102b-\u103e]", text)  # no sign before its consonant


def test_consent_names_the_exact_text() -> None:
    text = commitments.current("unit", "en")
    good = {"version": text.version, "locale": "en", "text_sha256": text.sha256,
            "accepted": True}
    assert commitments.check_consent("unit", good) == text
    for bad, field in (([], "commitment"), (good | {"extra": 1}, "commitment.extra"),
                       (good | {"locale": "zh_CN"}, "commitment.text_sha256")):
        with pytest.raises(FieldError) as err:
            commitments.check_consent("unit", bad)
        assert err.value.field == field
    with pytest.raises(FieldError):
        commitments.current("family", "en")
