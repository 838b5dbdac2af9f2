"""What each filing category needs (R-F1, R-F2): fields and documents, with labels.

The mini-program and the chat bot build their forms from this one table, and
submission checks completeness against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from borderpass.core.i18n import N_
from borderpass.models.enums import FilingCategory

DOCUMENT_KINDS: dict[str, str] = {
    "id_card_front": N_("身份证人像面"),
    "id_card_back": N_("身份证国徽面"),
    "driving_licence": N_("机动车驾驶证"),
    "exit_entry_permit": N_("出入境证件"),
    "vehicle_licence": N_("机动车行驶证"),
    "vin_plate": N_("车辆铭牌（车架号）照片"),
    "photo_front_45": N_("车辆左前45度照片"),
    "photo_rear_45": N_("车辆右后45度照片"),
    "photo_side": N_("车辆侧面照片"),
    "power_of_attorney": N_("车主授权委托书"),
    "relationship_proof": N_("关系证明"),
    "repayment_proof": N_("近6个月还款证明"),
    "enterprise_power_of_attorney": N_("企业委托书"),
    "business_activity_proof": N_("双方商务活动证明"),
    "business_licence": N_("营业执照"),
    "unit_seal": N_("单位印章照片"),
    "official_letter": N_("单位公函"),
    # used-car export (R-E1, R-E7, R-E8)
    "export_filing_form": N_("二手车出口企业备案申报表"),
    "export_contract": N_("出口合同（外文合同附中文译本）"),
    "market_access_statement": N_("符合出口目标市场准入标准的声明"),
    "vehicle_registration_certificate": N_("机动车登记证书"),
    "deregistration_certificate": N_("机动车注销证明书"),
    "other": N_("其他材料"),
}
OCR_KINDS = frozenset(
    {"id_card_front", "id_card_back", "driving_licence", "exit_entry_permit",
     "vehicle_licence", "vin_plate"}
)
# Read on request only (POST /api/v1/ocr/{kind}, a profile's licence), not at every upload.
READABLE_KINDS = OCR_KINDS | {"business_licence"}  # R-P1d
PER_DRIVER_DOCUMENTS = ("id_card_front", "id_card_back", "driving_licence", "exit_entry_permit")
VEHICLE_DOCUMENTS = ("vehicle_licence", "photo_front_45", "photo_rear_45", "photo_side",
                     "vin_plate")
MAX_PERSONAL_DRIVERS = 2  # R-U5


@dataclass(frozen=True)
class FieldSpec:
    """One form field: its path in the filing, type, label and whether it is required."""

    name: str
    type: str
    label: str
    required: bool = True
    choices: tuple[str, ...] = ()


VEHICLE_FIELDS = (
    FieldSpec("vehicle.plate_number", "plate", N_("号牌号码")),
    FieldSpec("vehicle.vin", "vin", N_("车辆识别代号")),
    FieldSpec("vehicle.vehicle_type", "text", N_("车辆类型")),
    FieldSpec("vehicle.model", "text", N_("品牌型号")),
    FieldSpec("vehicle.owner_name", "text", N_("所有人")),
    FieldSpec("vehicle.register_date", "date", N_("注册日期")),
    FieldSpec("vehicle.licence_kind", "choice", N_("行驶证类型"), choices=("paper", "electronic")),
    FieldSpec("vehicle.mortgaged", "bool", N_("是否抵押")),
    FieldSpec("vehicle.repayment_from", "date", N_("还款证明起始日期"), required=False),
    FieldSpec("vehicle.transferred_on", "date", N_("最近过户日期"), required=False),
)
DRIVER_FIELDS = (
    FieldSpec("name", "text", N_("驾驶人姓名")),
    FieldSpec("id_number", "id_number", N_("身份证号码")),
    FieldSpec("licence_number", "text", N_("驾驶证号")),
    FieldSpec("permit_number", "text", N_("出入境证件号码")),
    FieldSpec("phone", "phone", N_("联系电话")),
    FieldSpec("is_owner", "bool", N_("是否车主本人")),
)
OWNER_FIELDS = (
    FieldSpec("owner.id_number", "id_number", N_("车主身份证号码")),
    FieldSpec("owner.is_applicant", "bool", N_("车主本人申请")),
)
ORGANISATION_FIELDS = (
    FieldSpec("organisation.name", "text", N_("单位名称")),
    FieldSpec("organisation.uscc", "uscc", N_("统一社会信用代码")),
    FieldSpec("organisation.activity", "text", N_("商务活动说明"), required=False),
)
LETTER_FIELD = FieldSpec("official_letter_id", "int", N_("已批准的单位公函"))

CATEGORY_LABELS = {
    FilingCategory.PERSONAL: N_("个人自用车辆"),
    FilingCategory.BUSINESS: N_("商务车辆"),
    FilingCategory.OFFICIAL: N_("公务车辆"),
}


def category_fields(category: FilingCategory) -> tuple[FieldSpec, ...]:
    """The filing-level fields of a category (R-F2)."""
    if category is FilingCategory.PERSONAL:
        return VEHICLE_FIELDS + OWNER_FIELDS
    if category is FilingCategory.BUSINESS:
        return VEHICLE_FIELDS + ORGANISATION_FIELDS
    return VEHICLE_FIELDS + ORGANISATION_FIELDS + (LETTER_FIELD,)


def base_documents(category: FilingCategory) -> tuple[str, ...]:
    """Documents every filing of the category needs, whatever its details (R-F2)."""
    if category is FilingCategory.PERSONAL:
        return VEHICLE_DOCUMENTS
    if category is FilingCategory.BUSINESS:
        return (*VEHICLE_DOCUMENTS, "enterprise_power_of_attorney", "business_activity_proof",
                "business_licence", "unit_seal")
    return (*VEHICLE_DOCUMENTS, "business_licence", "unit_seal")


def conditional_documents() -> dict[str, str]:
    """Documents needed only in some cases, with the case, for the requirements listing."""
    return {
        "power_of_attorney": N_("车主不是申请人本人时"),
        "relationship_proof": N_("驾驶他人车辆时"),
        "repayment_proof": N_("车辆已抵押时"),
    }


def driver_slot(kind: str, position: int) -> str:
    """The attachment slot of a per-driver document: 'driving_licence#1'."""
    return f"{kind}#{position + 1}"


_LABELS = {spec.name: spec.label for fields in
           (VEHICLE_FIELDS, OWNER_FIELDS, ORGANISATION_FIELDS, (LETTER_FIELD,)) for spec in fields}
_LABELS |= {spec.name: spec.label for spec in DRIVER_FIELDS}
_LABELS |= {"category": N_("备案类别"), "reason": N_("原因"), "reasons": N_("退回原因"),
            "file": N_("文件"), "kind": N_("材料类型"), "direction": N_("出入境方向"),
            "port": N_("口岸"), "planned_at": N_("通关时间"), "drivers": N_("驾驶人"),
            "filing_id": N_("备案"), "driver_id": N_("驾驶人"), "password": N_("密码"),
            "username": N_("用户名"), "locale": N_("语言"), "phone": N_("联系电话"),
            "display_name": N_("姓名"), "code": N_("微信登录凭证"), "timezone": N_("时区"),
            "old_password": N_("原密码"), "new_password": N_("新密码")}
# The request fields of units and their lists (docs/units.md): the error messages of the
# unit doors name them through field_label like any other field.
_UNIT_LABELS: dict[str, str] = {
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
_LABELS |= {k: v for k, v in _UNIT_LABELS.items() if k not in _LABELS}


_LETTER_LABELS = {"named_vehicles": N_("公函所列车辆"), "named_people": N_("公函所列人员"),
                  "plate": N_("号牌号码"), "vin": N_("车辆识别代号"), "name": N_("姓名"),
                  "id_number": N_("身份证号码")}  # R-F2: what an official letter names


def field_label(path: str) -> str | None:
    """The source-language label of a request field path (``drivers[1].id_number`` …)."""
    if path.startswith("documents."):
        return DOCUMENT_KINDS.get(path.removeprefix("documents.").split("#", 1)[0])
    if path.startswith(("named_vehicles", "named_people")):
        return _LETTER_LABELS.get(path.rsplit("]", 1)[-1].lstrip(".") or path.split("[")[0])
    leaf = path.rsplit("]", 1)[-1].lstrip(".") if path.startswith("drivers[") else path
    if (label := _LABELS.get(leaf)) is not None:
        return label
    from borderpass.services.export.labels import export_label

    return export_label(path)
