"""A small generator of synthetic document photos with unseen people and layouts.

Every value is invented. Layouts differ from the DEV samples on purpose (margins,
spacing, font sizes, label wording), so a reader fitted to those samples would fail here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from borderpass.services.validators import make_id_number, make_vin

FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
BLUE, BLACK = (40, 90, 170), (25, 25, 25)


def font_path() -> Path | None:
    """A CJK font on this machine (fonts-wqy-microhei), or None."""
    return next((Path(p) for p in FONT_PATHS if Path(p).is_file()), None)


@dataclass
class Text:
    """One piece of printed text: where, how big, what colour."""

    text: str
    x: int
    y: int
    size: int = 26
    color: tuple[int, int, int] = BLACK


def render(texts: list[Text], size: tuple[int, int], skew: float, angle: int) -> np.ndarray:
    """Print texts on a card, lay it on a table slightly askew, turn it ``angle`` CCW."""
    path = font_path()
    assert path is not None, "needs a CJK font: apt-get install fonts-wqy-microhei"
    card = Image.new("RGB", size, (244, 244, 238))
    draw = ImageDraw.Draw(card)
    for item in texts:
        draw.text(
            (item.x, item.y),
            item.text,
            fill=item.color,
            font=ImageFont.truetype(str(path), item.size),
        )
    table = Image.new("RGB", (size[0] + 160, size[1] + 160), (120, 110, 100))
    table.paste(card, (80, 80))
    photo = table.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=(120, 110, 100))
    photo = photo.filter(ImageFilter.GaussianBlur(0.6))
    pixels = np.asarray(photo).astype(np.int16)
    noise = np.random.default_rng(7).normal(0, 6, pixels.shape)
    pixels = np.clip(pixels + noise, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.rot90(pixels, k=angle // 90))


def id_card_front(angle: int = 0) -> tuple[np.ndarray, dict[str, str]]:
    """A portrait side for a woman from Xishuangbanna with a three-line address."""
    number = make_id_number("532801", date(1995, 6, 30), 246)
    texts = [
        Text("姓  名", 50, 50, 22, BLUE), Text("刀玉香", 150, 46, 30),
        Text("性  别", 50, 110, 22, BLUE), Text("女", 150, 106, 28),
        Text("民  族", 280, 110, 22, BLUE), Text("傣", 370, 106, 28),
        Text("出  生", 50, 170, 22, BLUE), Text("1995  年  6  月  30  日", 150, 166, 28),
        Text("住  址", 50, 230, 22, BLUE), Text("云南省西双版纳傣族自治州", 150, 226, 28),
        Text("景洪市允景洪街道曼听", 150, 268, 28), Text("路88号附2号", 150, 310, 28),
        Text("公民身份号码", 50, 420, 22, BLUE), Text(number, 230, 414, 32),
    ]  # fmt: skip
    truth = {
        "name": "刀玉香",
        "sex": "女",
        "ethnicity": "傣",
        "birth_date": "1995-06-30",
        "address": "云南省西双版纳傣族自治州景洪市允景洪街道曼听路88号附2号",
        "id_number": number,
    }
    return render(texts, (900, 500), skew=-3.0, angle=angle), truth


def vehicle_licence(angle: int = 90, register: str = "2021-08-19"
                    ) -> tuple[np.ndarray, dict[str, str]]:
    """A licence of a company lorry, plate printed with its separator dot; ``register``
    prints another registration date (a hostile one: in the future)."""
    vin = make_vin("LFNA4LDA" + "3KAB0612")
    texts = [
        Text("中华人民共和国机动车行驶证", 250, 20, 34),
        Text("号牌号码", 30, 90, 22, BLUE), Text("Plate No.", 30, 116, 13, BLUE),
        Text("云K·7B2C9", 150, 90, 28),
        Text("车辆类型", 470, 90, 22, BLUE), Text("Vehicle Type", 470, 116, 13, BLUE),
        Text("重型厢式货车", 590, 90, 28),
        Text("所有人", 30, 160, 22, BLUE), Text("Owner", 30, 186, 13, BLUE),
        Text("景洪澜沧江物流有限公司", 150, 160, 28),
        Text("住址", 30, 230, 22, BLUE), Text("Address", 30, 256, 13, BLUE),
        Text("云南省西双版纳傣族自治州景洪市嘎洒镇曼勉村3组", 150, 230, 28),
        Text("使用性质", 30, 300, 22, BLUE), Text("货运", 150, 300, 28),
        Text("品牌型号", 470, 300, 22, BLUE), Text("解放牌CA5180XXY", 590, 300, 28),
        Text("车辆识别代号", 30, 370, 22, BLUE), Text(vin, 190, 370, 28),
        Text("发动机号码", 30, 440, 22, BLUE), Text("CA6DK1D3457", 170, 440, 28),
        Text("注册日期", 30, 510, 22, BLUE), Text(register, 150, 510, 28),
        Text("发证日期", 470, 510, 22, BLUE), Text("2022-01-05", 590, 510, 28),
    ]  # fmt: skip
    truth = {
        "plate_number": "云K7B2C9",
        "vehicle_type": "重型厢式货车",
        "owner": "景洪澜沧江物流有限公司",
        "address": "云南省西双版纳傣族自治州景洪市嘎洒镇曼勉村3组",
        "use_character": "货运",
        "model": "解放牌CA5180XXY",
        "vin": vin,
        "engine_number": "CA6DK1D3457",
        "register_date": register,
        "issue_date": "2022-01-05",
    }
    return render(texts, (900, 580), skew=2.0, angle=angle), truth


def exit_entry_permit(angle: int = 180) -> tuple[np.ndarray, dict[str, str]]:
    """A permit data page: labels above values, a second column of fields."""
    texts = [
        Text("中华人民共和国出入境通行证", 220, 24, 32),
        Text("姓名/Name", 300, 100, 16), Text("刀玉香", 300, 122, 28),
        Text("证件号码/No.", 620, 100, 16), Text("G40817352", 620, 122, 26),
        Text("性别/Sex", 300, 180, 16), Text("女/F", 300, 202, 26),
        Text("出生日期/Date of birth", 460, 180, 16), Text("1995.06.30", 460, 202, 26),
        Text("签发日期/Date of issue", 300, 260, 16), Text("2021.04.16", 300, 282, 26),
        Text("有效期至/Date of expiry", 520, 260, 16), Text("2031.04.15", 520, 282, 26),
        Text("签发机关/Authority", 300, 340, 16), Text("西双版纳州公安局", 300, 362, 26),
    ]  # fmt: skip
    truth = {
        "name": "刀玉香",
        "sex": "女",
        "birth_date": "1995-06-30",
        "permit_number": "G40817352",
        "valid_until": "2031-04-15",
    }
    return render(texts, (880, 440), skew=1.5, angle=angle), truth


def business_licence(uscc: str) -> tuple[np.ndarray, dict[str, str]]:
    """A Dehong trading company's licence (营业执照, SAMR 2019 layout): the credit code above
    two columns of fields, the address wrapped over three lines (R-P1d)."""
    name, person = "瑞丽市边合贸易有限公司", "杨文华"
    address = ("云南省德宏傣族景颇族自治州", "瑞丽市姐告边境经济合作区", "国门大道18号")
    texts = [
        Text("营 业 执 照", 360, 24, 44, (170, 30, 30)),
        Text("统一社会信用代码", 40, 110, 20), Text(uscc, 40, 138, 26),
        Text("名      称", 40, 220, 22), Text(name, 170, 218, 26),
        Text("注册资本", 600, 220, 22), Text("伍佰万元整", 720, 218, 26),
        Text("类      型", 40, 290, 22), Text("有限责任公司(自然人投资或控股)", 170, 288, 24),
        Text("成立日期", 600, 290, 22), Text("2018年03月12日", 720, 288, 26),
        Text("法定代表人", 40, 360, 22), Text(person, 170, 358, 26),
        Text("住      所", 600, 360, 22), Text(address[0], 720, 358, 24),
        Text(address[1], 720, 396, 24), Text(address[2], 720, 434, 24),
        Text("登记机关", 600, 520, 20),
    ]  # fmt: skip
    truth = {"uscc": uscc, "name": name, "legal_representative": person,
             "established": "2018-03-12", "address": "".join(address)}
    return render(texts, (1100, 580), skew=1.5, angle=0), truth


CASES = {
    "id_card_front": id_card_front,
    "vehicle_licence": vehicle_licence,
    "exit_entry_permit": exit_entry_permit,
}
