"""Business licence (营业执照) reading (R-P1d): fields by label, the credit code trusted only
through its GB 32100-2015 check character, on synthetic lines and a rendered photo."""

from __future__ import annotations

import numpy as np
import pytest
from docgen import business_licence, font_path
from ocr_helpers import FakeEngine, line, make_engine

from borderpass.ocr import trust
from borderpass.ocr.engine import TextLine
from borderpass.ocr.reader import read_document
from borderpass.services.validators import make_uscc

USCC = make_uscc("MA6NQ8R4", region="533100")  # a Dehong enterprise
TRUTH = {
    "uscc": USCC, "name": "瑞丽市边合贸易有限公司", "registered_capital": "伍佰万元整",
    "company_type": "有限责任公司(自然人投资或控股)", "established": "2018-03-12",
    "legal_representative": "杨文华",
    "address": "云南省德宏傣族景颇族自治州瑞丽市姐告边境经济合作区国门大道18号",
}  # fmt: skip


def _lines(code: str = USCC) -> list[TextLine]:
    return [
        line("营业执照", 360, 20, h=50), line("统一社会信用代码", 30, 110, h=22),
        line(code, 30, 140, w=330, h=26),
        line("名称", 30, 220), line(TRUTH["name"], 150, 218, h=36),  # printed large (R-P5)
        line("注册资本", 560, 220), line(TRUTH["registered_capital"], 690, 222),
        line("类型", 30, 280), line(TRUTH["company_type"], 150, 282, w=380),
        line("成立日期", 560, 280), line("2018年03月12日", 690, 282, w=220),
        line("法定代表人", 30, 340), line(TRUTH["legal_representative"], 190, 342),
        line("住所", 560, 340), line("云南省德宏傣族景颇族自治州", 690, 342, w=300),
        line("瑞丽市姐告边境经济合作区", 690, 382, w=300), line("国门大道18号", 690, 422),
    ]  # fmt: skip


def _read(lines: list[TextLine]) -> dict[str, dict]:
    reading = read_document("business_licence", np.zeros((500, 1000, 3), np.uint8),
                            FakeEngine(lines))
    return {k: v.to_dict() for k, v in reading.fields.items()}


def test_reads_every_field_and_trusts_the_checked_code() -> None:
    fields = _read(_lines())
    assert {k: v["value"] for k, v in fields.items()} == TRUTH
    assert not trust.needs_check(fields["uscc"])  # its check character holds
    assert not trust.needs_check(fields["name"])


def test_a_code_failing_its_check_character_is_never_certain() -> None:
    wrong = USCC[:-1] + ("1" if USCC[-1] != "1" else "2")
    fields = _read(_lines(wrong))
    assert fields["uscc"]["value"] == wrong and "uscc_checksum" in fields["uscc"]["warnings"]
    assert trust.needs_check(fields["uscc"])
    assert fields["uscc"]["confidence"] <= trust.FLAGGED_CEILING


def test_letter_read_for_digit_repaired_only_when_the_check_holds() -> None:
    misread = USCC.replace("0", "O", 1)
    assert misread != USCC
    fields = _read(_lines(misread))
    assert fields["uscc"]["value"] == USCC and fields["uscc"]["warnings"] == ["uscc_repaired"]
    assert trust.needs_check(fields["uscc"])  # a repair is shown for the user to check


def test_misshapen_name_and_representative_are_flagged() -> None:
    lines = _lines()
    lines[4] = line("名称类型", 150, 222)
    lines[10] = line("杨文华/Ya", 190, 342)
    fields = _read(lines)
    assert "organisation_shape" in fields["name"]["warnings"]
    assert "name_shape" in fields["legal_representative"]["warnings"]


def test_code_without_its_label_is_found_by_shape_and_trusted_less() -> None:
    lines = _lines()
    del lines[1]
    fields = _read(lines)
    assert fields["uscc"]["value"] == USCC


@pytest.mark.skipif(font_path() is None, reason="needs a CJK font (fonts-wqy-microhei)")
def test_rendered_licence_photo_reads_exactly() -> None:
    pytest.importorskip("rapidocr")
    image, truth = business_licence(USCC)
    reading = read_document("business_licence", image, make_engine())
    assert {k: reading.fields[k].value for k in truth} == truth
    assert not trust.needs_check(reading.fields["uscc"].to_dict())
