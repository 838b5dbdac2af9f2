"""The reader on photos it was never tuned on: new people, new layouts, turned pages."""

from __future__ import annotations

import pytest
from docgen import CASES, font_path
from ocr_helpers import make_engine

from borderpass.ocr.engine import OcrEngine
from borderpass.ocr.reader import read_document

pytest.importorskip("rapidocr")
pytestmark = pytest.mark.skipif(
    font_path() is None, reason="needs a CJK font: apt-get install fonts-wqy-microhei"
)


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    """One engine for the module: loading models takes seconds."""
    return make_engine()


@pytest.mark.parametrize("kind", sorted(CASES))
def test_unseen_document_reads_exactly(kind: str, engine: OcrEngine) -> None:
    image, truth = CASES[kind]()
    result = read_document(kind, image, engine)
    got = {name: result.fields[name].value for name in truth}
    assert got == truth
    expected_angle = {"id_card_front": 0, "vehicle_licence": 90, "exit_entry_permit": 180}
    assert result.angle == expected_angle[kind]
