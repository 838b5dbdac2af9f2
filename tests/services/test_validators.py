"""Tests of the field validators: generated valid values pass, every single slip is caught."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from borderpass.core.errors import FieldError
from borderpass.services.validators import (
    check_id_number,
    check_name,
    check_phone,
    check_plate,
    check_uscc,
    check_vin,
    make_id_number,
    make_uscc,
    make_vin,
    parse_date,
    suggest_vin_repairs,
    vin_check_digit,
)

PROVINCE_CODES = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
    "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
    "63", "64", "65",
]  # fmt: skip
TODAY = date(2025, 6, 1)
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_KINDS = ["11", "12", "13", "19", "31", "51", "52", "53", "59", "91", "92", "93", "Y1"]
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_ALNUM = "0123456789" + PLATE_LETTERS
DIGITS = "0123456789"


def _raises(code: str, func: object, *args: object, **kwargs: object) -> FieldError:
    """Call ``func`` and return the FieldError it must raise with ``code``."""
    assert callable(func)
    with pytest.raises(FieldError) as info:
        func(*args, **kwargs)
    assert info.value.code == code, (info.value.code, info.value.params)
    return info.value


def _text(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


# --- Identity number ---------------------------------------------------------------------

id_numbers = st.builds(
    make_id_number,
    region=st.tuples(st.sampled_from(PROVINCE_CODES), _text(DIGITS, 4)).map("".join),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    seq=st.integers(0, 999),
)


def test_id_number_standard_example() -> None:
    info = check_id_number("11010519491231002X", today=TODAY)
    assert info.number == "11010519491231002X"
    assert info.region == "110105"
    assert info.birth_date == date(1949, 12, 31)
    assert info.sex == "女"


def test_id_number_is_normalised() -> None:
    assert check_id_number(" 110105 19491231 002x ", today=TODAY).number == "11010519491231002X"
    assert check_id_number("１１０１０５１９４９１２３１００２ｘ", today=TODAY).sex == "女"


@given(id_numbers)
def test_generated_id_numbers_pass(number: str) -> None:
    info = check_id_number(number, today=TODAY)
    assert info.number == number
    assert info.birth_date.strftime("%Y%m%d") == number[6:14]
    assert info.sex == ("男" if int(number[16]) % 2 else "女")


@given(id_numbers, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_change_of_id_number_is_rejected(number: str, index: int, new: str) -> None:
    assume(number[index] != new)
    changed = number[:index] + new + number[index + 1 :]
    with pytest.raises(FieldError) as info:
        check_id_number(changed, today=TODAY)
    # R-U7: an error (logged, shown) never carries the whole identity number.
    assert changed not in repr(info.value.params)


@pytest.mark.parametrize(
    ("value", "code", "params"),
    [
        ("11010519491231002", "id_length", {"length": 17, "expected": 18}),
        ("110105194912310", "id_length", {"length": 15, "expected": 18}),
        ("1101051949123100XX", "id_chars", {"position": 17}),
        ("11010519A91231002X", "id_chars", {"position": 9}),
        ("99010519491231002X", "id_region", {"region": "99"}),
        ("11010519490231002X", "id_birth_date", {"reason": "invalid"}),
        ("11010518991231002X", "id_birth_date", {"reason": "too_old"}),
        ("110105194912310021", "id_checksum", {"position": 18, "expected": "X", "found": "1"}),
    ],
)
def test_id_number_errors(value: str, code: str, params: dict[str, object]) -> None:
    error = _raises(code, check_id_number, value, "driver_id", today=TODAY)
    assert error.field == "driver_id"
    assert error.params == params


def test_id_number_birth_in_future_is_rejected() -> None:
    number = make_id_number("530102", date(2025, 6, 2), 11)
    assert _raises("id_birth_date", check_id_number, number, today=TODAY).params == {
        "reason": "future"
    }
    assert check_id_number(number, today=date(2025, 6, 2)).sex == "男"


def test_make_id_number_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        make_id_number("5301", date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        make_id_number("530102", date(1990, 1, 1), 1000)


# --- VIN (R-E4) ----------------------------------------------------------------------------

vins = _text(VIN_ALPHABET, 16).map(make_vin)


@pytest.mark.parametrize("vin", ["1M8GDM9AXKP042788", "11111111111111111"])
def test_known_valid_vins(vin: str) -> None:
    assert check_vin(vin) == vin
    assert vin_check_digit(vin) == vin[8]


@given(vins)
def test_generated_vins_pass_and_are_normalised(vin: str) -> None:
    assert check_vin(vin) == vin
    assert check_vin(f" {vin[:8].lower()} {vin[8:]} ") == vin


def test_vin_letter_o_names_position_and_digit() -> None:
    # R-E4: "character 6 is the letter O; did you mean 0?"
    error = _raises("vin_letter_o", check_vin, "1M8GDO9AXKP042788")
    assert error.field == "vin"
    assert error.params == {"position": 6, "char": "O", "suggestion": "0"}


@given(vins, st.integers(1, 17), st.sampled_from("OIQ"))
def test_vin_lookalike_letter_reports_exact_position(vin: str, position: int, letter: str) -> None:
    # R-E4: reject with the exact position and the likely intended digit.
    changed = vin[: position - 1] + letter + vin[position:]
    error = _raises(f"vin_letter_{letter.lower()}", check_vin, changed.lower())
    assert error.params == {
        "position": position,
        "char": letter,
        "suggestion": "01"[letter == "I"],
    }


@given(vins, st.sampled_from("0123456789X"))
def test_vin_wrong_check_digit_reports_position_9(vin: str, wrong: str) -> None:
    # R-E4: the 9th character is the check digit.
    assume(vin[8] != wrong)
    error = _raises("vin_checksum", check_vin, vin[:8] + wrong + vin[9:])
    assert error.params == {"position": 9}  # R-E4: no digit is ever proposed as the fix


@given(vins, st.integers(1, 17), st.sampled_from("*-#ÄÉ"))
def test_vin_foreign_character_reports_position(vin: str, position: int, char: str) -> None:
    error = _raises("vin_char", check_vin, vin[: position - 1] + char + vin[position:])
    assert error.params == {"position": position, "char": char}


def test_vin_reports_first_problem_by_position() -> None:
    # R-E4: several slips → the first by position.
    assert _raises("vin_letter_i", check_vin, "1M8IDO9AXKP042788").params["position"] == 4
    assert _raises("vin_char", check_vin, "1M8G*O9AXKP042788").params["position"] == 5


@pytest.mark.parametrize(("value", "length"), [("", 0), ("1M8GDM9AXKP04278", 16)])
def test_vin_length(value: str, length: int) -> None:
    assert _raises("vin_length", check_vin, value).params == {"length": length, "expected": 17}


def test_vin_check_digit_can_be_skipped() -> None:
    assert check_vin("1M8GDM9A1KP042788", verify_check_digit=False) == "1M8GDM9A1KP042788"


@given(vins, st.data())
def test_suggest_vin_repairs_undoes_ocr_lookalikes(vin: str, data: st.DataObject) -> None:
    slips = {"0": "OQ", "1": "I"}
    positions = [i for i, c in enumerate(vin) if c in slips]
    chosen = data.draw(
        st.lists(st.sampled_from(positions), unique=True) if positions else st.just([])
    )
    garbled = list(vin)
    for i in chosen:
        garbled[i] = data.draw(st.sampled_from(slips[vin[i]]))
    repaired, notes = suggest_vin_repairs("".join(garbled))
    assert repaired == vin
    assert len(notes) == len(chosen)
    assert check_vin(repaired) == vin


def test_suggest_vin_repairs_notes() -> None:
    assert suggest_vin_repairs("1m8gdo9axkp042788") == (
        "1M8GD09AXKP042788",
        ["position 6: O -> 0"],
    )


def test_vin_helpers_refuse_bad_input() -> None:
    with pytest.raises(ValueError):
        vin_check_digit("1M8GDM9AXKP04278")
    with pytest.raises(ValueError):
        vin_check_digit("1M8GDM9AXKP04278O")
    with pytest.raises(ValueError):
        make_vin("1M8GDM9AKP04278")


# --- Plates --------------------------------------------------------------------------------

provinces = st.sampled_from(PROVINCES)
plate_letters = st.sampled_from(PLATE_LETTERS)
ordinary_serials = _text(PLATE_ALNUM, 5)
suffixed_serials = st.tuples(_text(PLATE_ALNUM, 4), st.sampled_from("挂学警港澳领")).map("".join)
small_nev_serials = st.tuples(
    st.sampled_from("DABCEFGHJK"), st.sampled_from(PLATE_ALNUM), _text(DIGITS, 4)
).map("".join)
large_nev_serials = st.tuples(_text(DIGITS, 5), st.sampled_from("DF")).map("".join)
plates = st.tuples(
    provinces,
    plate_letters,
    st.one_of(ordinary_serials, suffixed_serials, small_nev_serials, large_nev_serials),
).map("".join)


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("云S·12345", "云S12345"),
        ("云S 12345", "云S12345"),
        ("云S-12345", "云S12345"),
        ("云s·a12b3", "云SA12B3"),
        ("粤B·D12345", "粤BD12345"),
        ("粤B·DF1234", "粤BDF1234"),
        ("沪A·12345F", "沪A12345F"),
        ("粤Z·1234港", "粤Z1234港"),
        ("云A·1234挂", "云A1234挂"),
        ("224·001使", "224001使"),
        ("使014·578", "使014578"),
        ("京Ａ·１２３４５", "京A12345"),
    ],
)
def test_plate_examples(value: str, canonical: str) -> None:
    assert check_plate(value) == canonical


@given(plates, st.sampled_from(["", "·", " ", "-", " · "]))
def test_generated_plates_pass_with_any_separator(plate: str, sep: str) -> None:
    assert check_plate(plate) == plate
    assert check_plate(plate[:2].lower() + sep + plate[2:].lower()) == plate


@given(st.characters(exclude_characters=PROVINCES + "使", exclude_categories=["Z", "C"]))
def test_plate_unknown_province(char: str) -> None:
    assume(char.upper() not in PROVINCES)
    assert _raises("plate_province", check_plate, char + "A12345").field == "plate_number"


@given(provinces, st.sampled_from("IO0123456789云"))
def test_plate_bad_issuing_letter(province: str, letter: str) -> None:
    error = _raises("plate_letter", check_plate, province + letter + "12345")
    assert error.params == {"position": 2, "char": letter}


@pytest.mark.parametrize(
    "value",
    ["", "云A1234", "云A1234567", "云A12O45", "云AI2345", "粤B12345G", "粤BX12345", "粤BD1234A",
     "云A123挂4", "使12345"],
)  # fmt: skip
def test_plate_format(value: str) -> None:
    _raises("plate_format", check_plate, value)


# --- Unified social credit code ------------------------------------------------------------

usccs = st.builds(
    make_uscc,
    _text(USCC_ALPHABET, 8),
    kind=st.sampled_from(USCC_KINDS),
    region=st.sampled_from(PROVINCE_CODES).map(lambda p: p + "0000"),
)


@pytest.mark.parametrize("code", ["91110000600037341L", "91350100M000100Y43"])
def test_known_valid_usccs(code: str) -> None:
    assert check_uscc(code) == code
    assert check_uscc(code.lower()[:9] + " " + code[9:]) == code


@given(usccs)
def test_generated_usccs_pass(code: str) -> None:
    assert check_uscc(code, "unit_code") == code


@given(usccs, st.integers(0, 17), st.sampled_from(USCC_ALPHABET + "IOSVZ"))
def test_any_single_change_of_uscc_is_rejected(code: str, index: int, new: str) -> None:
    assume(code[index] != new)
    with pytest.raises(FieldError):
        check_uscc(code[:index] + new + code[index + 1 :])


@pytest.mark.parametrize(
    ("value", "code", "params"),
    [
        ("9111000060003734", "uscc_length", {"length": 16, "expected": 18}),
        ("91110000600O37341L", "uscc_char", {"position": 12, "char": "O"}),
        ("97110000600037341L", "uscc_type", {"authority": "9", "type": "7"}),
        ("K1110000600037341L", "uscc_type", {"authority": "K", "type": "1"}),
        ("9111A000600037341L", "uscc_region", {"position": 5, "char": "A"}),
        (
            "91110000600037342L",
            "uscc_org_checksum",
            {"position": 17, "expected": "1", "found": "2"},
        ),
        ("91110000600037341M", "uscc_checksum", {"position": 18, "expected": "L", "found": "M"}),
    ],
)
def test_uscc_errors(value: str, code: str, params: dict[str, object]) -> None:
    assert _raises(code, check_uscc, value).params == params


def test_make_uscc_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        make_uscc("6000373")
    with pytest.raises(ValueError):
        make_uscc("6000373O")
    with pytest.raises(ValueError):
        make_uscc("60003734", region="53")


# --- Phone, name, date ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 19912345678", "19912345678"),
        ("+95 9 7812 34567", "+959781234567"),
        ("+95 9 512 3456", "+9595123456"),
        ("09 250 123 456", "+959250123456"),
    ],
)
def test_phone_ok(value: str, canonical: str) -> None:
    assert check_phone(value) == canonical


@pytest.mark.parametrize(
    "value", ["", "12812345678", "1381234567", "138123456789", "+95 812345678", "+95 9123456"]
)
def test_phone_rejected(value: str) -> None:
    assert _raises("phone_format", check_phone, value, "driver_phone").field == "driver_phone"


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("张三", "张三"),
        ("  Aung   San  Suu Kyi ", "Aung San Suu Kyi"),
        ("阿卜杜·热合曼", "阿卜杜·热合曼"),
        ("မောင်မောင်", "မောင်မောင်"),
    ],
)
def test_name_ok(value: str, canonical: str) -> None:
    assert check_name(value, "owner_name") == canonical


def test_name_rejected() -> None:
    assert _raises("name_length", check_name, "   ").params == {"length": 0, "min": 1, "max": 50}
    assert _raises("name_length", check_name, "名" * 51).params["length"] == 51
    assert _raises("name_chars", check_name, "张3").params == {"position": 2}
    assert _raises("name_chars", check_name, "Aung\x00").params == {"position": 5}
    assert _raises("name_chars", check_name, "မောင်၁").params["position"] == 6


def test_parse_date() -> None:
    assert parse_date("2024-02-29", "transfer_date") == date(2024, 2, 29)
    assert _raises("date_format", parse_date, "2024/02/29").params == {"expected": "YYYY-MM-DD"}
    assert _raises("date_format", parse_date, "20240229").field == "date"
    assert _raises("date_format", parse_date, "２０２４-02-29").code == "date_format"
    assert _raises("date_invalid", parse_date, "2023-02-29").code == "date_invalid"
