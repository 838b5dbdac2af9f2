"""Re-sealing — 重新加密: every sealed value and file under the current data key (R-U7).

One pass seals what is still clear (phones from before sealing, plain document files)
and re-seals what an old key sealed, table by table in id order, a batch per
transaction with its rows locked, so it can run beside the service and be run again
after an interruption: what is already under the current key is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from borderpass.core.crypto import CryptoError
from borderpass.models import Document, Filing, FilingDriver, User
from borderpass.models.export import EnterpriseFiling
from borderpass.models.gate import Pass, SigningKey
from borderpass.models.keys import SubjectKey
from borderpass.models.units import Membership, Unit
from borderpass.services.filings import documents
from borderpass.services.identity import phones
from borderpass.services.ports import Deps

log = logging.getLogger("borderpass.keys")
BATCH = 200


@dataclass(frozen=True)
class SealedMap:
    """A table whose ``sealed`` JSON map holds tokens, and maybe a clear phone to move in."""

    model: type[Model]
    prefix: str  # context = prefix + name ("" for filings: the name is the path)
    phone: str = ""  # the legacy clear column ("" when none)
    phone_name: str = "phone"  # its name in ``sealed``
    phone_key: str = ""  # its blind-index column


@dataclass(frozen=True)
class SealedColumn:
    """A table with one sealed text column."""

    model: type[Model]
    column: str
    context: Callable[[Any], str]


@dataclass(frozen=True)
class SealedReading:
    """Documents: the OCR reading, ``{"sealed": token}`` (or clear, from before sealing)."""

    model: type[Model] = Document


Table = SealedMap | SealedColumn | SealedReading
TABLES: tuple[Table, ...] = (
    SealedMap(Filing, ""),
    SealedMap(FilingDriver, "driver.", "phone", "phone", "phone_key"),
    SealedMap(Membership, "member.", "phone", "phone", "phone_key"),
    SealedMap(Unit, "unit.", "contact_phone", "contact_phone", "contact_phone_key"),
    SealedMap(User, "user.", "phone", "phone", "phone_key"),
    SealedMap(EnterpriseFiling, "export.", "contact_phone", "contact_phone",
              "contact_phone_key"),
    SealedColumn(SigningKey, "private_sealed", lambda r: f"gate.signing_key:{r.kid}"),
    SealedColumn(Pass, "secret_sealed", lambda r: f"gate.pass_secret:{r.declaration_id}"),
    SealedColumn(SubjectKey, "wrapped", lambda r: f"subject_key:{r.user_id}"),  # R-D7
    SealedReading(),
)


@dataclass
class Report:
    """What one pass changed (rows per table, files) and what it left behind."""

    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    damaged: list[str] = field(default_factory=list)  # files that do not open: left alone

    @property
    def changed(self) -> int:
        """Rows and files written by this pass."""
        return sum(self.rows.values()) + self.files


async def reseal_all(deps: Deps, batch: int = BATCH) -> Report:
    """Seal every clear phone and plain file, re-seal every value under an old key."""
    report = Report()
    await reseal_rows(deps, report, batch)
    reseal_files(deps, report)
    return report


async def reseal_rows(deps: Deps, report: Report, batch: int = BATCH) -> None:
    """The database half of :func:`reseal_all`."""
    for table in TABLES:
        name = table.model._meta.db_table
        report.rows[name] = await _reseal_table(deps, table, batch)
        if report.rows[name]:
            log.info("re-sealed rows", extra={"table": name, "rows": report.rows[name]})


def reseal_files(deps: Deps, report: Report) -> None:
    """The uploads half of :func:`reseal_all` (files that do not open are only reported)."""
    for digest in list(deps.files.digests()):
        try:
            report.files += deps.files.reseal(digest)
        except (CryptoError, ValueError):  # reported, never overwritten
            report.damaged.append(digest)
            log.warning("stored file does not open", extra={"digest": digest[:12]})


async def _reseal_table(deps: Deps, table: Table, batch: int) -> int:
    model, pk = table.model, table.model._meta.pk_attr
    changed, after = 0, None
    while True:
        query = model.all().order_by(pk).limit(batch)
        if after is not None:
            query = query.filter(**{f"{pk}__gt": after})
        ids = await query.values_list(pk, flat=True)
        if not ids:
            return changed
        async with in_transaction():
            for row in await model.filter(**{f"{pk}__in": ids}).select_for_update():
                updates = _updates(deps, table, row)
                if updates:
                    await model.filter(**{pk: getattr(row, pk)}).update(**updates)
                    changed += 1
        after = ids[-1]


def _updates(deps: Deps, table: Table, row: Any) -> dict[str, Any]:
    """The column values that put one row under the current key ({} when it already is)."""
    cipher = deps.cipher
    if isinstance(table, SealedReading):
        if not _reading_pending(deps, row):
            return {}
        documents.seal_reading(deps, row, documents.reading_of(deps, row) or {})
        return {"ocr": row.ocr}
    if isinstance(table, SealedColumn):
        token = cipher.reseal(getattr(row, table.column), table.context(row))
        return {table.column: token} if token else {}
    sealed: dict[str, str] = dict(row.sealed)
    updates: dict[str, Any] = {}
    for name, token in row.sealed.items():
        if fresh := cipher.reseal(token, table.prefix + name):
            sealed[name] = fresh
    clear = _clear_phone(table, row)
    if clear:
        sealed[table.phone_name], key = phones.seal(deps, clear, table.prefix + table.phone_name)
        updates[table.phone_key] = key
        updates.update(_emptied(table, row))
    if sealed != row.sealed:
        updates["sealed"] = sealed
    return updates


def _clear_phone(table: SealedMap, row: Any) -> str | None:
    if not table.phone:
        return None
    if isinstance(row, EnterpriseFiling):
        return row.data.get(table.phone) or None
    return getattr(row, table.phone) or None


def _emptied(table: SealedMap, row: Any) -> dict[str, Any]:
    """The clear column's value once its phone is sealed."""
    if isinstance(row, EnterpriseFiling):
        return {"data": {k: v for k, v in row.data.items() if k != table.phone}}
    return {table.phone: None if isinstance(row, User) else ""}


async def leftovers(deps: Deps, batch: int = BATCH) -> dict[str, int]:
    """Rows and files not yet under the current key (what a pass would still change)."""
    found: dict[str, int] = {}
    for table in TABLES:
        model, pk = table.model, table.model._meta.pk_attr
        count, after = 0, None
        while True:
            query = model.all().order_by(pk).limit(batch)
            rows = await (query.filter(**{f"{pk}__gt": after}) if after is not None else query)
            if not rows:
                break
            count += sum(_pending(deps, table, row) for row in rows)
            after = getattr(rows[-1], pk)
        if count:
            found[model._meta.db_table] = count
    files = sum(deps.files.kid_of(d) != deps.cipher.kid and not deps.files.is_subject(d)
                for d in deps.files.digests())
    if files:
        found["files"] = files
    return found


def _pending(deps: Deps, table: Table, row: Any) -> bool:
    kid = deps.cipher.kid
    if isinstance(table, SealedReading):
        return _reading_pending(deps, row)
    if isinstance(table, SealedColumn):
        return deps.cipher.token_kid(getattr(row, table.column)) != kid
    return bool(_clear_phone(table, row)) or any(
        deps.cipher.token_kid(t) != kid for t in row.sealed.values())


def _reading_pending(deps: Deps, doc: Any) -> bool:
    """A reading in clear, or sealed under another key than the current one."""
    if not doc.ocr:
        return False
    token = doc.ocr.get(documents.SEALED) if set(doc.ocr) == {documents.SEALED} else None
    return token is None or deps.cipher.token_kid(token) != deps.cipher.kid
