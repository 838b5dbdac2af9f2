"""Synthetic document pages as an engine reads them: upright text lines with boxes."""

from __future__ import annotations

from datetime import date

from ocr_helpers import line

from borderpass.ocr.engine import TextLine
from borderpass.services.validators import make_id_number, make_vin

ID = make_id_number("532501", date(1987, 11, 5), 123)  # odd sequence: male
VIN = make_vin("LFV2A21K" + "5H104056")  # a 0 at position 13, for the O → 0 repair


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
