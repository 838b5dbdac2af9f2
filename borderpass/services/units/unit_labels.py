"""Labels of the request fields of units and their lists, for field-naming error messages."""

from __future__ import annotations

from borderpass.core.i18n import N_

UNIT_LABELS: dict[str, str] = {
    "unit_name": N_("单位名称"),
    "unit_kind": N_("单位类型"),
    "uscc": N_("统一社会信用代码"),
    "contact_name": N_("联系人"),
    "contact_phone": N_("联系人电话"),
    "scene": N_("单位申报二维码"),
    "member_ids": N_("名单记录"),
    "commitment": N_("信用承诺"),
    "commitment.accepted": N_("信用承诺"),
    "commitment.version": N_("信用承诺版本"),
    "commitment.locale": N_("信用承诺语言"),
    "commitment.text_sha256": N_("信用承诺文本"),
    "approve": N_("认证结果"),
    "note": N_("说明"),
    "user_id": N_("用户"),
    "plate_number": N_("号牌号码"),
    "vin": N_("车辆识别代号"),
    "format": N_("导出格式"),
    "status": N_("状态"),
    # organisation profiles (R-P1)
    "profile_id": N_("单位/企业信息"),
    "organisation_name": N_("单位/企业名称"),
    "legal_representative": N_("法定代表人"),
    "address": N_("住所"),
    "licence_document_id": N_("营业执照照片"),
    "version": N_("信息版本"),
    "flow": N_("表单"),
}
