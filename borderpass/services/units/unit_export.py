"""Export of a unit's credit pass list as CSV or XLSX, masked for the unit (R-U4, R-U7)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from borderpass.core.errors import FieldError
from borderpass.core.i18n import N_, translate
from borderpass.core.masking import mask_name, mask_number, mask_phone
from borderpass.models import User
from borderpass.services.ports import Deps
from borderpass.services.units import unit_members

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", N_("编号")),
    ("name", N_("姓名")),
    ("id_number", N_("身份证号码")),
    ("phone", N_("联系电话")),
    ("plate_number", N_("号牌号码")),
    ("is_owner", N_("是否车主本人")),
    ("self_use", N_("个人自用车辆")),
    ("status", N_("状态")),
    ("listed_at", N_("列入名单时间")),
)
STATUS_LABELS = {
    "pending": N_("待验核"), "verified": N_("已验核"), "rejected": N_("未通过"),
    "listed": N_("已列入名单"), "removed": N_("已移出"),
}
YES, NO = N_("是"), N_("否")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(key: str, value: Any, locale: str) -> str:
    """A cell as text: booleans and states translated, formulas defused."""
    if isinstance(value, bool):
        return translate(YES if value else NO, locale)
    if key == "status":
        return translate(STATUS_LABELS.get(str(value), str(value)), locale)
    text = "" if value is None else str(value)
    # A spreadsheet would run "=…" as a formula (CSV injection): keep it text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(seen: unit_members.MemberView) -> dict[str, Any]:
    """An entry's columns; name, identity number and phone masked unless clear (R-U7)."""
    m, clear = seen.member, seen.clear
    return {"id": m.id, "name": m.person_name if clear else mask_name(m.person_name),
            "id_number": seen.id_number if clear else mask_number(seen.id_number),
            "phone": seen.phone if clear else mask_phone(seen.phone),
            "plate_number": m.plate_number, "is_owner": m.is_owner, "self_use": m.self_use,
            "status": m.status.value,
            "listed_at": m.listed_at.isoformat() if m.listed_at else None}


def table(rows: list[unit_members.MemberView], locale: str) -> list[list[str]]:
    """Header and rows, in ``locale``."""
    head = [translate(label, locale) for _, label in COLUMNS]
    cells = [_row(seen) for seen in rows]
    return [head, *[[_cell(k, row[k], locale) for k, _ in COLUMNS] for row in cells]]


def to_csv(cells: list[list[str]]) -> bytes:
    """UTF-8 CSV with a byte-order mark, so spreadsheet programs read Chinese and Burmese."""
    out = io.StringIO()
    csv.writer(out).writerows(cells)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(cells: list[list[str]]) -> bytes:
    """An XLSX workbook of one sheet."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("members")
    for row in cells:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WRITERS: dict[str, Callable[[list[list[str]]], bytes]] = {"csv": to_csv, "xlsx": to_xlsx}


async def export(deps: Deps, user: User, unit_id: int, fmt: str | None,
                 status: str | None, locale: str) -> tuple[bytes, str, str]:
    """The unit's entries as (file bytes, content type, file name); masked for the unit."""
    if fmt not in FORMATS:
        raise FieldError("choice", "format", choices=", ".join(FORMATS))
    unit, rows, clear = await unit_members.members(user, unit_id, status)
    seen = [unit_members.view(deps, m, clear) for m in rows]
    data = WRITERS[fmt](table(seen, locale))
    return data, FORMATS[fmt], f"unit-{unit.id}-members.{fmt}"
