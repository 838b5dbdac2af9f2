"""Labels of the export request fields, so every error names its field in the user's language."""

from __future__ import annotations

import re

from borderpass.core.i18n import N_

EXPORT_LABELS = {
    "uscc": N_("统一社会信用代码"),
    "enterprise_name": N_("企业名称"),
    "address": N_("企业地址"),
    "legal_representative": N_("法定代表人"),
    "contact_name": N_("联系人"),
    "contact_phone": N_("联系人电话"),
    "filing_kind": N_("备案申请类型"),
    "enterprise_id": N_("出口企业"),
    "commodity_code": N_("商品编码"),
    "destination": N_("进口国（地区）"),
    "customs_zone": N_("海关特殊监管区域"),
    "exporter": N_("出口商"),
    "consignor": N_("发货人"),
    "goods_state": N_("商品状态"),
    "vehicles": N_("出口车辆"),
    "vin": N_("车辆识别代号"),
    "brand": N_("车辆品牌"),
    "model": N_("车辆型号"),
    "certificate_number": N_("机动车登记证书编号"),
    "certificate_document_id": N_("机动车登记证书"),
    "pending_export_on": N_("转让待出口登记日期"),
    "owner_changed_on": N_("最近一次所有人变更日期"),
    "vins": N_("实际报关车辆"),
    "declaration_number": N_("报关单号"),
    "qr_text": N_("注销证明书二维码内容"),
    "cancelled_on": N_("注销日期"),
    "document_id": N_("注销证明书"),
    "exited_at": N_("离境时间"),
}
_INDEX = re.compile(r"\[\d+\]")


def export_label(path: str) -> str | None:
    """The label of an export field path: ``vehicles[3].vin`` → the VIN label."""
    leaf = _INDEX.sub("", path).rsplit(".", 1)[-1]
    return EXPORT_LABELS.get(leaf)
