"""Offline reconciliation with double-use flags (R-G2), ledger export (R-G6), faults (R-G7)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from gate_helpers import declared, issued, lane, qr
from openpyxl import load_workbook

from borderpass.core.errors import FieldError
from borderpass.gate_bridge import protocol
from borderpass.models import Declaration
from borderpass.models.enums import DeclarationStatus
from borderpass.models.gate import Crossing, LaneEvent, LedgerEntry
from borderpass.services import clock
from borderpass.services.gate import gate_lifts, gate_offline, ledger, ledger_export
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.gate.gate_decisions import Scan, decide
from borderpass.services.gate.lane_events import OfflineBatch, OfflineScan

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture
def gate(deps) -> GateDeps:
    return GateDeps.build(deps)


def _event(event_id: str, text: str, at: datetime, action: str = "open") -> dict:
    return {"event_id": event_id, "qr": text, "at": at.isoformat(), "action": action}


def _upload(events: object) -> tuple[OfflineScan, ...]:
    """An offline upload as the bridge parses it (checked whole, fields named)."""
    batch = protocol.check({"type": "offline_batch", "event_id": "up", "events": events})
    assert isinstance(batch, OfflineBatch)
    return batch.events


async def test_offline_uploads_reconcile_and_flag_double_use(gate) -> None:  # R-G2
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    (a, _), (b, _) = await lane(gate, "ruili-out-a"), await lane(gate, "ruili-out-b")
    seen = T0 - timedelta(minutes=10)
    text = qr(gate_pass, at=seen)
    first = await gate_offline.reconcile(gate, a, _upload([_event("a1", text, seen)]))
    assert first == gate_offline.Reconciled(1, ())
    declaration = await Declaration.get(id=gate_pass["declaration_id"])
    assert declaration.status is DeclarationStatus.USED
    second = await gate_offline.reconcile(gate, b, _upload([_event("b1", text, seen)]))
    assert second.flagged == (("b1", "double_use"),)
    again = await gate_offline.reconcile(gate, b, _upload([_event("b1", text, seen)]))
    assert again == gate_offline.Reconciled(0, ())  # an upload retried is taken once
    online = await decide(gate, a, Scan("on1", qr(gate_pass)))
    assert online.reason == "pass_used"
    assert await LedgerEntry.filter(kind="double_use", flagged=True, lane_code=b.code).exists()


async def test_offline_stale_code_is_flagged(gate) -> None:
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    a, _ = await lane(gate)
    seen = T0 - timedelta(minutes=10)
    result = await gate_offline.reconcile(gate, a, _upload([_event("a1", qr(gate_pass, at=T0),
                                                                     seen)]))
    assert result.flagged == (("a1", "code_stale"),)


async def test_bad_offline_upload_changes_nothing(gate) -> None:
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    a, _ = await lane(gate)
    good = _event("a1", qr(gate_pass), T0)
    for events, field in (([good, {"event_id": "a2", "qr": "x", "action": "open"}],
                           "events[1].at"),
                          ([good, _event("a3", "x", T0, "fly")], "events[1].action"),
                          ([_event("a4", "x", T0 - timedelta(days=20))], "events[0].at"),
                          ({"a": 1}, "events")):
        with pytest.raises(FieldError) as err:
            await gate_offline.reconcile(gate, a, _upload(events))
        assert err.value.field == field
    assert (await Declaration.get(id=gate_pass["declaration_id"])).status \
        is DeclarationStatus.APPROVED


async def test_ledger_export_csv_and_xlsx(gate, tmp_path) -> None:  # R-G6, R-G7
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    a, _ = await lane(gate)
    await decide(gate, a, Scan("s1", qr(gate_pass)))
    await gate_lifts.report_fault(gate, a, "f1", "camera offline")
    start, end = T0 - timedelta(days=15), T0 + timedelta(seconds=1)
    path = tmp_path / "ledger.csv"
    summary = await ledger_export.export(gate.deps.kv, path, "csv", start, end)
    assert summary[("scan", "open")] == 1 and summary[("fault", "reported")] == 1
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["kind"] for r in rows} == {"scan", "command", "fault"}
    assert all(r["lane"] == a.code for r in rows)
    xlsx = tmp_path / "ledger.xlsx"
    await ledger_export.export(gate.deps.kv, xlsx, "xlsx", start, end, lane=a.code)
    book = load_workbook(xlsx)
    assert book["ledger"].max_row == 4 and book["summary"]["A3"].value == "command"
    with pytest.raises(FieldError) as err:
        await ledger_export.export(gate.deps.kv, path, "pdf", start, end)
    assert err.value.field == "format"
    with pytest.raises(FieldError) as err:
        await ledger_export.export(gate.deps.kv, path, "csv", end, start)
    assert err.value.field == "to"


async def test_ledger_csv_bytes_are_the_csv_modules(gate, tmp_path) -> None:  # R-G6
    """The CSV is the same bytes on both back ends (COPY on PostgreSQL): quotes, commas,
    newlines inside cells, empty and null cells, microseconds, JSON details."""
    detail = {"n": 1.5, "ok": True, "ctl": "\u0001", "note": "a\nb", "quote": 'say "hi"',
              "nested": [1, {"a": "中文", "b": None}]}  # keys in jsonb's order
    rows = [
        {"at": T0, "lane_code": "L,1", "kind": "scan", "event_id": "", "plate": '云A"1',
         "outcome": "open", "reason": "", "actor": "bridge", "flagged": True,
         "declaration_id": 7, "detail": detail},
        {"at": T0 + timedelta(microseconds=250), "lane_code": " L 2 ", "kind": "fault",
         "event_id": "e\r1", "plate": "", "outcome": "", "reason": "line\nbreak",
         "actor": "user:李", "flagged": False, "declaration_id": None, "detail": {}},
        {"at": T0 + timedelta(seconds=1), "lane_code": "L3", "kind": "ack", "event_id": '"',
         "plate": "=1+2", "outcome": "x", "reason": "\n", "actor": "", "flagged": False,
         "declaration_id": None, "detail": {"k": ""}},
    ]
    made = [await LedgerEntry.create(**r) for r in rows]
    await LedgerEntry.create(at=T0 + timedelta(days=1), kind="scan")  # outside the period
    expected = io.StringIO()
    writer = csv.writer(expected)
    writer.writerow(ledger_export.COLUMNS)
    for e, r in zip(made, rows, strict=True):
        writer.writerow([e.id, r["at"].isoformat(), r["lane_code"], r["kind"], r["event_id"],
                         "" if r["declaration_id"] is None else r["declaration_id"],
                         r["plate"], r["outcome"], r["reason"], r["actor"], r["flagged"],
                         json.dumps(r["detail"], ensure_ascii=False) if r["detail"] else ""])
    path = tmp_path / "ledger.csv"
    seen: list[int] = []
    summary = await ledger_export.export(gate.deps.kv, path, "csv", T0, T0 + timedelta(hours=1),
                                         progress=seen.append)
    assert path.read_bytes() == expected.getvalue().encode("utf-8-sig")
    assert sum(seen) == 3
    assert summary == {("scan", "open"): 1, ("fault", ""): 1, ("ack", "x"): 1}
    path.unlink()
    await ledger_export.export(gate.deps.kv, path, "csv", T0, T0 + timedelta(hours=1),
                               lane="L3")
    assert path.read_bytes().decode("utf-8-sig").count("\r\n") == 2


async def test_scans_are_in_the_ledger_when_the_lane_is_answered(gate) -> None:  # R-G6
    # No queue: the scan, its command and the pass's use are committed before the answer.
    clock.freeze(T0)
    declaration = await declared(gate)
    gate_pass = await issued(gate, declaration)
    out, _ = await lane(gate)
    for i in range(3):  # the first opens; the two replays are refused
        await decide(gate, out, Scan(f"w{i}", qr(gate_pass)))
    scans = await LedgerEntry.filter(kind="scan").order_by("id").values_list("reason", flat=True)
    assert scans == ["pass_valid", "pass_used", "pass_used"]
    assert await LedgerEntry.filter(kind="command").count() == 3
    assert (await Declaration.get(id=declaration.id)).status is DeclarationStatus.USED
    crossings = await Crossing.filter(declaration_id=declaration.id).values_list(
        "event_id", "kind", "lane_code")
    assert crossings == [("w0", "pass", out.code)]


async def test_ledger_cuts_long_texts_and_keeps_details(gate) -> None:
    clock.freeze(T0)
    await ledger.record(ledger.entry(
        "scan", "L" * 60, at=T0, event_id="e" * 90, declaration_id=None,
        plate="云N12345-TOO-LONG-PLATE", outcome="open", reason="pass_valid",
        detail={"vin": "LVSHCAMB1CE012345", "note": "司机"}))
    await ledger.record(ledger.entry("scan", "lane-1", at=T0, event_id="x2", outcome="deny",
                                     reason="pass_valid", flagged=True))
    first = await LedgerEntry.filter(kind="scan").order_by("id").first()
    assert first is not None
    assert (len(first.lane_code), len(first.event_id), first.plate) == (40, 64,
                                                                        "云N12345-TOO-LONG")
    assert first.detail == {"vin": "LVSHCAMB1CE012345", "note": "司机"} and first.at == T0
    assert await LedgerEntry.filter(flagged=True).count() == 1


async def test_a_scan_the_database_refuses_leaves_nothing_and_a_retry_opens(
        gate, monkeypatch) -> None:  # R-G2, R-G6: the release and its entries, or neither
    clock.freeze(T0)
    declaration = await declared(gate)
    gate_pass = await issued(gate, declaration)
    out, _ = await lane(gate)

    entry = ledger.entry

    def unstorable(kind: str, *args: object, **values: object) -> str:
        text = entry(kind, *args, **values)  # type: ignore[arg-type]
        if kind != "command":
            return text
        # the database refuses this entry (no time: NOT NULL), late in the transaction
        return json.dumps({**json.loads(text), "at": None})

    monkeypatch.setattr(ledger, "entry", unstorable)
    with pytest.raises(Exception):  # noqa: B017 - whatever the back end raises
        await decide(gate, out, Scan("f1", qr(gate_pass)))
    assert not await Crossing.exists(declaration_id=declaration.id)
    assert not await LaneEvent.exists(lane_code=out.code, event_id="f1")
    assert (await Declaration.get(id=declaration.id)).status is DeclarationStatus.APPROVED
    monkeypatch.undo()
    assert (await decide(gate, out, Scan("f1", qr(gate_pass)))).action == "open"
    assert await LedgerEntry.filter(event_id="f1").count() == 1
