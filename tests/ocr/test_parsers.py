"""Parsers on synthetic text lines: labels, dates, wrapped values, turned pages, checks."""

from __future__ import annotations

import numpy as np
import pytest
from ocr_helpers import FakeEngine, line, scaled, turned
from ocr_pages import ID, VIN, driving_licence, id_front, permit, vehicle_licence

from borderpass.core.errors import FieldError
from borderpass.ocr import layout, normalise
from borderpass.ocr.engine import TextLine
from borderpass.ocr.parsers import FIELDS_BY_KIND, KINDS, PARSERS
from borderpass.ocr.reader import read_document


def parse(kind: str, lines: list[TextLine]) -> dict[str, str | None]:
    """Values a parser reads from upright lines."""
    return {k: v.value for k, v in PARSERS[kind](layout.to_lines(lines)).items()}


def test_id_card_front_reads_every_field_and_joins_the_wrapped_address() -> None:
    got = parse("id_card_front", id_front())
    assert got == {
        "name": "木兰芳",
        "sex": "男",
        "ethnicity": "哈尼",
        "birth_date": "1987-11-05",
        "address": "云南省红河哈尼族彝族自治州个旧市城区建设路12号",
        "id_number": ID,
    }


def test_label_and_value_merged_in_one_line_and_spaced_labels() -> None:
    lines = id_front()
    lines[4:6] = [line("民族哈尼族", 260, 100)]
    lines[0] = line("姓 名", 40, 40)
    got = parse("id_card_front", lines)
    assert got["ethnicity"] == "哈尼"
    assert got["name"] == "木兰芳"


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [
        ("1990年1月2日", "1990-01-02"),
        ("1990 年 1 月 2 日", "1990-01-02"),
        ("2015.03.01", "2015-03-01"),
        ("2015-03-01", "2015-03-01"),
        ("2O15.O3.01", "2015-03-01"),
    ],
)
def test_date_formats(printed: str, canonical: str) -> None:
    assert normalise.parse_date(printed) == canonical


def test_an_impossible_date_is_kept_and_flagged() -> None:
    fields = PARSERS["id_card_front"](layout.to_lines(id_front(birth="1987年13月5日")))
    assert fields["birth_date"].value == "1987年13月5日"
    assert "date_format" in fields["birth_date"].warnings


def test_id_checksum_failure_is_flagged_not_fixed() -> None:
    wrong = ID[:17] + ("0" if ID[17] != "0" else "1")
    fields = PARSERS["id_card_front"](layout.to_lines(id_front(number=wrong)))
    assert fields["id_number"].value == wrong
    assert "id_checksum" in fields["id_number"].warnings


def test_printed_birth_date_and_sex_must_agree_with_the_id_number() -> None:
    fields = PARSERS["id_card_front"](layout.to_lines(id_front(birth="1987年11月6日", sex="女")))
    assert "birth_date_mismatch" in fields["birth_date"].warnings
    assert "sex_mismatch" in fields["sex"].warnings
    assert {"birth_date_mismatch", "sex_mismatch"} <= set(fields["id_number"].warnings)


def test_id_card_back_long_term_validity() -> None:
    lines = [line("签发机关", 40, 300), line("个旧市公安局", 200, 300),
             line("有效期限", 40, 360), line("2015.03.01-长期", 200, 360)]  # fmt: skip
    assert parse("id_card_back", lines) == {
        "issuing_authority": "个旧市公安局",
        "valid_from": "2015-03-01",
        "valid_until": "长期",
    }


def test_vehicle_licence_plate_without_separator_and_dates() -> None:
    got = parse("vehicle_licence", vehicle_licence())
    assert got["plate_number"] == "云GA1234"
    assert got["model"] == "长安牌SC7164A"
    assert got["vin"] == VIN
    assert got["engine_number"] == "JL475Q1A12345"
    assert (got["register_date"], got["issue_date"]) == ("2018-05-06", "2019-05-07")
    assert got["address"] == "云南省红河哈尼族彝族自治州个旧市城区建设路12号"


def test_a_misread_label_is_matched_by_its_english_caption() -> None:
    lines = vehicle_licence()
    lines[0] = line("时牌兮码", 20, 20)  # two characters wrong
    assert parse("vehicle_licence", lines)["plate_number"] == "云GA1234"


def test_vin_letter_o_is_repaired_when_the_check_digit_proves_it() -> None:
    """R-E4: a VIN never holds O; read as O it is 0, fixed only when the check digit agrees."""
    vin = VIN[:12] + "O" + VIN[13:]
    fields = PARSERS["vehicle_licence"](layout.to_lines(vehicle_licence(vin=vin)))
    assert fields["vin"].value == VIN
    assert fields["vin"].warnings == ["vin_repaired"]


def test_vin_with_a_wrong_check_digit_is_flagged_and_left_alone() -> None:
    digit = "1" if VIN[8] != "1" else "2"
    bad = VIN[:8] + digit + VIN[9:]
    fields = PARSERS["vehicle_licence"](layout.to_lines(vehicle_licence(vin=bad)))
    assert fields["vin"].value == bad
    assert "vin_checksum" in fields["vin"].warnings


def test_vin_letter_that_does_not_pass_the_check_is_not_repaired() -> None:
    digit = "1" if VIN[8] != "1" else "2"
    bad = VIN[:8] + digit + VIN[9:12] + "O" + VIN[13:]
    fields = PARSERS["vehicle_licence"](layout.to_lines(vehicle_licence(vin=bad)))
    assert fields["vin"].value == bad
    assert "vin_letter_o" in fields["vin"].warnings


def test_bad_plate_is_flagged() -> None:
    fields = PARSERS["vehicle_licence"](layout.to_lines(vehicle_licence(plate="XX12")))
    assert fields["plate_number"].warnings


def test_permit_values_under_their_labels() -> None:
    assert parse("exit_entry_permit", permit()) == {
        "name": "木兰芳",
        "sex": "女",
        "birth_date": "1987-11-05",
        "permit_number": "C12345678",
        "valid_until": "2030-01-01",
    }


def test_vin_plate_maker_without_label_and_month() -> None:
    lines = [
        line("重庆长安汽车股份有限公司", 30, 20),
        line("品牌长安", 30, 80), line("整车型号 SC7164A", 400, 80),
        line("制造年月2018年04月", 400, 140),
        line("车辆识别代号", 30, 200), line(VIN, 30, 250, w=500, h=40),
    ]  # fmt: skip
    assert parse("vin_plate", lines) == {
        "vin": VIN,
        "manufacturer": "重庆长安汽车股份有限公司",
        "model": "SC7164A",
        "manufacture_date": "2018-04",
    }


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_reader_turns_the_page_upright_from_one_reading(angle: int) -> None:
    width, height = 900, 500
    engine = FakeEngine(turned(id_front(), angle, width, height))
    shape = (height, width, 3) if angle in (0, 180) else (width, height, 3)
    result = read_document("id_card_front", np.zeros(shape, np.uint8), engine)
    assert result.angle == angle
    assert result.fields["id_number"].value == ID
    assert result.fields["name"].value == "木兰芳"
    assert engine.calls == 1


def test_nonsense_first_reading_triggers_an_upright_reread() -> None:
    noise = [TextLine("口囗", ((0, 0), (90, 0), (90, 30), (0, 30)), 0.4)]
    engine = FakeEngine(noise, id_front())
    result = read_document("id_card_front", np.zeros((500, 900, 3), np.uint8), engine)
    assert result.fields["id_number"].value == ID
    assert engine.calls == 2


def test_photo_without_text() -> None:
    result = read_document("vin_plate", np.zeros((10, 10, 3), np.uint8), FakeEngine([]))
    assert result.warnings == ["no_text"]
    assert all(f.value is None and f.confidence == 0 for f in result.fields.values())
    assert result.to_dict()["fields"]["vin"] == {
        "value": None,
        "confidence": 0,
        "warnings": ["no_text"],
        "check": False,  # nothing read: nothing to check, the user types it
    }


def test_unknown_kind() -> None:
    with pytest.raises(FieldError) as caught:
        read_document("passport", np.zeros((10, 10, 3), np.uint8), FakeEngine([]))
    assert (caught.value.code, caught.value.field) == ("ocr_kind", "kind")


def test_every_kind_lists_its_fields() -> None:
    assert set(KINDS) == set(FIELDS_BY_KIND)
    for kind in KINDS:
        assert set(PARSERS[kind]([])) == set(FIELDS_BY_KIND[kind])


def test_driving_licence_fields() -> None:
    assert parse("driving_licence", driving_licence()) == {
        "licence_number": ID,
        "name": "木兰芳",
        "sex": "男",
        "nationality": "中国",
        "address": "云南省红河哈尼族彝族自治州个旧市城区建设路12号",
        "birth_date": "1987-11-05",
        "first_issue_date": "2010-07-01",
        "vehicle_class": "C1E",
        "valid_from": "2016-07-01",
        "valid_until": "2026-07-01",
    }


def test_unreadable_label_falls_back_to_the_value_shape() -> None:
    got = parse("driving_licence", driving_licence(validity_label="右效斯限"))
    assert (got["valid_from"], got["valid_until"]) == ("2016-07-01", "2026-07-01")


def test_value_whose_label_went_unread_is_adopted_and_flagged() -> None:
    lines = vehicle_licence()
    lines[-2] = line("微日热家", 420, 380)  # 发证日期 misread beyond recognition
    fields = PARSERS["vehicle_licence"](layout.to_lines(lines))
    assert fields["issue_date"].value == "2019-05-07"
    assert fields["issue_date"].warnings == ["label_not_found"]
    assert fields["register_date"].value == "2018-05-06"


def test_a_flagged_value_weighs_less() -> None:
    wrong = ID[:17] + ("0" if ID[17] != "0" else "1")
    result = read_document("id_card_front", np.zeros((650, 1170, 3), np.uint8),
                           FakeEngine(scaled(id_front(number=wrong), 1.3)))  # fmt: skip
    assert result.fields["id_number"].confidence < 0.6
    assert result.fields["name"].confidence > 0.9


def test_letters_read_for_digits_in_an_id_number_are_fixed_only_with_the_check_digit() -> None:
    assert ID[6] == "1"
    fields = PARSERS["id_card_front"](layout.to_lines(id_front(number=ID[:6] + "I" + ID[7:])))
    assert fields["id_number"].value == ID
    assert fields["id_number"].warnings == ["id_repaired"]
