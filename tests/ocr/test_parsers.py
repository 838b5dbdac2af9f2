"""Parsers on synthetic text lines: labels, dates, wrapped values, turned pages, checks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from ocr_helpers import FakeEngine, line, turned

from borderpass.core.errors import FieldError
from borderpass.ocr import layout, normalise
from borderpass.ocr.engine import TextLine
from borderpass.ocr.parsers import FIELDS_BY_KIND, KINDS, PARSERS
from borderpass.ocr.reader import read_document
from borderpass.services.validators import make_id_number, make_vin

ID = make_id_number("532501", date(1987, 11, 5), 123)  # odd sequence: male
VIN = make_vin("LFV2A21K" + "5H104056")  # a 0 at position 13, for the O → 0 repair


def parse(kind: str, lines: list[TextLine]) -> dict[str, str | None]:
    """Values a parser reads from upright lines."""
    return {k: v.value for k, v in PARSERS[kind](layout.to_lines(lines)).items()}


def id_front(
    number: str = ID,
    birth: str = "1987年11月5日",
    sex: str = "男",
    address: tuple[str, ...] = ("云南省红河哈尼族彝族自治州个", "旧市城区建设路12号"),
) -> list[TextLine]:
    """An ID card portrait side as an engine reads it."""
    lines = [
        line("姓名", 40, 40), line("木兰芳", 140, 42),
        line("性别", 40, 100), line(sex, 140, 100), line("民族", 260, 100),
        line("哈尼", 350, 100),
        line("出生", 40, 160), line(birth, 140, 160),
        line("住址", 40, 220),
    ]  # fmt: skip
    lines += [line(part, 140, 220 + 40 * i) for i, part in enumerate(address)]
    lines += [line("公民身份号码", 40, 400), line(number, 260, 402, w=400)]
    return lines


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


def vehicle_licence(vin: str = VIN, plate: str = "云G·A1234") -> list[TextLine]:
    """A vehicle licence with English captions under the labels, as printed."""
    return [
        line("号牌号码", 20, 20), line("Plate No.", 20, 48, h=14), line(plate, 130, 24),
        line("车辆类型", 420, 20), line("Vehicle Type", 420, 48, h=14),
        line("小型普通客车", 530, 24),
        line("所有人", 20, 80), line("Owner", 20, 108, h=14), line("罗小梅", 110, 84),
        line("住址", 20, 140), line("Address", 20, 168, h=14),
        line("云南省红河哈尼族彝族自治州个旧市城区建设路12号", 90, 144),
        line("使用性质", 20, 200), line("非营运", 130, 204),
        line("品牌型号", 330, 200), line("长安牌SC7164A", 440, 204),
        line("车辆识别代号", 20, 260), line(vin, 190, 264, w=330),
        line("发动机号码", 20, 320), line("JL475Q1A12345", 160, 324, w=260),
        line("注册日期", 20, 380), line("2018-05-06", 130, 384, w=200),
        line("发证日期", 420, 380), line("2019-05-07", 530, 384, w=200),
    ]  # fmt: skip


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


def permit() -> list[TextLine]:
    """An exit-entry permit: labels above values, sex printed '女/F'."""
    return [
        line("中华人民共和国出入境通行证", 200, 20),
        line("姓名/Name", 300, 100, h=20), line("证件号码/No.", 600, 100, h=20),
        line("木兰芳", 300, 124), line("C12345678", 600, 124, w=160),
        line("性别/Sex", 300, 180, h=20), line("出生日期/Date of birth", 450, 180, h=20),
        line("女/F", 300, 204), line("1987.11.05", 450, 204, w=160),
        line("签发日期/Date of issue", 300, 260, h=20),
        line("有效期至/Date of expiry", 450, 260, h=20),
        line("2020.01.02", 300, 284, w=160), line("2030.01.01", 450, 284, w=160),
    ]  # fmt: skip


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
    }


def test_unknown_kind() -> None:
    with pytest.raises(FieldError) as caught:
        read_document("passport", np.zeros((10, 10, 3), np.uint8), FakeEngine([]))
    assert (caught.value.code, caught.value.field) == ("ocr_kind", "kind")


def test_every_kind_lists_its_fields() -> None:
    assert set(KINDS) == set(FIELDS_BY_KIND)
    for kind in KINDS:
        assert set(PARSERS[kind]([])) == set(FIELDS_BY_KIND[kind])


def driving_licence(validity_label: str = "有效期限") -> list[TextLine]:
    """A driving licence main page; the ID number doubles as the licence number."""
    return [
        line("证号", 30, 20), line(ID, 110, 22, w=330),
        line("姓名", 30, 70), line("Name", 30, 98, h=14), line("木兰芳", 140, 80),
        line("性别", 330, 70), line("Sex", 330, 98, h=14), line("男", 390, 80),
        line("国籍", 460, 70), line("Nationality", 460, 98, h=14), line("中国", 560, 80),
        line("住址", 30, 130), line("云南省红河哈尼族彝族自治州个旧市", 140, 140),
        line("城区建设路12号", 140, 176),
        line("出生日期", 30, 230), line("Date of Birth", 30, 258, h=14),
        line("1987-11-05", 140, 240, w=160),
        line("初次领证日期", 30, 290), line("Date of First Issue", 30, 318, h=14),
        line("2010-07-01", 200, 300, w=160),
        line("准驾车型", 30, 350), line("Class", 30, 378, h=14), line("C1E", 140, 360),
        line(validity_label, 30, 410), line("2016-07-01 至 2026-07-01", 140, 420, w=380),
    ]  # fmt: skip


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
    result = read_document("id_card_front", np.zeros((500, 900, 3), np.uint8),
                           FakeEngine(id_front(number=wrong)))  # fmt: skip
    assert result.fields["id_number"].confidence < 0.6
    assert result.fields["name"].confidence > 0.9


def test_letters_read_for_digits_in_an_id_number_are_fixed_only_with_the_check_digit() -> None:
    assert ID[6] == "1"
    fields = PARSERS["id_card_front"](layout.to_lines(id_front(number=ID[:6] + "I" + ID[7:])))
    assert fields["id_number"].value == ID
    assert fields["id_number"].warnings == ["id_repaired"]
