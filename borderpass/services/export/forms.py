"""Request parsing shared by the export services: text, dates, documents, reasons, membership."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from borderpass.core import ids
from borderpass.core.errors import FieldError
from borderpass.models import User
from borderpass.models.export import Enterprise, EnterpriseMember
from borderpass.services.filings.documents import owned_document
from borderpass.services.validators import parse_date

MAX_REASONS = 50


def text(body: dict[str, Any], field: str, max_len: int, problems: list[FieldError],
         required: bool = True) -> str:
    """A trimmed text field (full-width folded, inner spacing kept), or a collected problem."""
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(FieldError("required", field))
        return ""
    if not isinstance(value, str):
        problems.append(FieldError("type_string", field))
        return ""
    cleaned = " ".join(unicodedata.normalize("NFKC", value).split())
    if len(cleaned) > max_len:
        problems.append(FieldError("length", field, max=max_len))
        return ""
    return cleaned


def past_date(value: object, field: str, today: date, problems: list[FieldError]) -> date | None:
    """An optional ISO date not after today, or a collected problem."""
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(FieldError("type_string", field))
        return None
    try:
        day = parse_date(value, field)
    except FieldError as err:
        problems.append(err)
        return None
    if day > today:
        problems.append(FieldError("export_date_future", field))
        return None
    return day


async def document_of_kind(user: User, value: object, kind: str, field: str,
                           problems: list[FieldError],
                           trusted: frozenset[int] = frozenset()) -> int | None:
    """The id of the user's own uploaded document of ``kind``, or a collected problem."""
    if value is None:
        problems.append(FieldError("document_required", field))
        return None
    try:
        doc = await owned_document(user, value, field, trusted)
    except FieldError as err:
        problems.append(err)
        return None
    if doc.kind != kind:
        problems.append(FieldError("document_wrong_kind", field, expected=kind, found=doc.kind))
        return None
    return doc.id


async def documents(user: User, given: object, kinds: tuple[str, ...],
                    problems: list[FieldError],
                    trusted: frozenset[int] = frozenset()) -> dict[str, int]:
    """Every required document slot filled with the user's own document of that kind."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        problems.append(FieldError("type_object", "documents"))
        return {}
    for key in given:
        if key not in kinds:
            problems.append(FieldError("unknown_field", f"documents.{key}"))
    found: dict[str, int] = {}
    for kind in kinds:
        doc_id = await document_of_kind(user, given.get(kind), kind, f"documents.{kind}",
                                        problems, trusted)
        if doc_id is not None:
            found[kind] = doc_id
    return found


def reasons(value: object, known: frozenset[str]) -> list[dict[str, str]]:
    """Refusal reasons, all at once (一次性告知): a non-empty list of {field, message}."""
    if not isinstance(value, list) or not value:
        raise FieldError("reasons_required", "reasons")
    if len(value) > MAX_REASONS:
        raise FieldError("too_many", "reasons", max=MAX_REASONS)
    cleaned = []
    for i, reason in enumerate(value):
        path = f"reasons[{i}]"
        if not isinstance(reason, dict):
            raise FieldError("type_object", path)
        field, message = reason.get("field", "general"), reason.get("message")
        if not isinstance(field, str) or field.split("[", 1)[0].split(".", 1)[0] not in known:
            raise FieldError("unknown_field", f"{path}.field")
        if not isinstance(message, str) or not message.strip():
            raise FieldError("required", f"{path}.message")
        if len(message) > 500:
            raise FieldError("length", f"{path}.message", max=500)
        cleaned.append({"field": field, "message": message.strip()})
    return cleaned


async def member_enterprise(user: User, enterprise_id: object,
                            field: str = "enterprise_id") -> Enterprise:
    """An enterprise the user files for; others look absent (R-E2: who exports, applies)."""
    enterprise = await Enterprise.get_or_none(
        id=ids.body_id(enterprise_id, field, "export_enterprise_not_found"))
    if enterprise is None or not await is_member(user, enterprise):
        raise FieldError("export_enterprise_not_found", field)
    return enterprise


async def is_member(user: User, enterprise: Enterprise) -> bool:
    """Whether the user files and applies for the enterprise."""
    return await is_member_of(user, enterprise.id)


async def is_member_of(user: User, enterprise_id: int) -> bool:
    """Whether the user files and applies for the enterprise of this id."""
    return await EnterpriseMember.filter(enterprise_id=enterprise_id, user_id=user.id).exists()
