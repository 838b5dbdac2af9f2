"""Scan decisions: one pole, one release (R-G2), refusals to inspection (R-G3), R-G1, R-G5."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gate_helpers import declared, issued, lane, qr, shown

from borderpass.core.errors import Conflict, Forbidden
from borderpass.models import BlacklistEntry, Declaration
from borderpass.models.enums import DeclarationStatus, SubjectKind
from borderpass.models.gate import Crossing, LedgerEntry
from borderpass.presenters import crossings as present
from borderpass.services import clock
from borderpass.services.crossings import declarations, pass_tokens, passes
from borderpass.services.gate import gate_decisions, gate_record
from borderpass.services.gate.gate_context import GateDeps
from borderpass.services.gate.gate_decisions import Scan, decide
from borderpass.services.gate.lane_events import Ack

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture
def gate(deps) -> GateDeps:
    return GateDeps.build(deps, ("云A11911",))


async def test_valid_pass_opens_once_and_marks_used(gate) -> None:  # R-G2, R-G6
    clock.freeze(T0)
    declaration = await declared(gate)
    gate_pass = await issued(gate, declaration)
    out, _ = await lane(gate)
    first = await decide(gate, out, Scan("e1", qr(gate_pass)))
    assert first.action == "open" and first.reason == "pass_valid"
    assert shown(first, out)["zh_CN"] == "核验通过，请通行"
    assert (await Declaration.get(id=declaration.id)).status is DeclarationStatus.USED
    again = await decide(gate, out, Scan("e2", qr(gate_pass)))
    assert again.action == "deny" and again.reason == "pass_used"
    assert "查验区" in shown(again, out)["zh_CN"]  # R-G3
    assert set(shown(again, out)) == {"zh_CN", "my", "en"}
    retry = await decide(gate, out, Scan("e1", qr(gate_pass)))  # same event: same answer
    assert retry.action == "open" and retry.command == first.command
    kinds = await LedgerEntry.filter(lane_code=out.code).values_list("kind", "outcome")
    assert sorted(kinds) == [("command", "deny"), ("command", "open"), ("scan", "deny"),
                             ("scan", "open")]


async def test_same_pass_on_two_lanes_at_once_opens_exactly_one(gate) -> None:  # R-G2
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    lanes_ = [(await lane(gate, f"ruili-out-{i}"))[0] for i in range(4)]
    text = qr(gate_pass)
    results = await asyncio.gather(*(decide(gate, ln, Scan(f"c{i}", text))
                                     for i, ln in enumerate(lanes_)))
    assert sorted(r.action for r in results) == ["deny", "deny", "deny", "open"]
    assert {r.reason for r in results if r.action == "deny"} == {"pass_used"}


async def test_stale_code_and_screenshot(gate) -> None:
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    out, _ = await lane(gate)
    old = qr(gate_pass, at=T0 - timedelta(seconds=95))
    decision = await decide(gate, out, Scan("s1", old))
    assert (decision.action, decision.reason) == ("deny", "code_stale")
    decision = await decide(gate, out, Scan("s2", qr(gate_pass, code="000000")))
    assert decision.reason == "code_stale"
    assert (await decide(gate, out, Scan("s3", qr(gate_pass)))).action == "open"


async def test_expired_and_not_yet_valid(gate) -> None:
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    out, _ = await lane(gate)
    clock.freeze(T0 + timedelta(hours=37))
    assert (await decide(gate, out, Scan("x1", qr(gate_pass)))).reason == "pass_expired"
    clock.freeze(T0 - timedelta(hours=13))
    assert (await decide(gate, out, Scan("x2", qr(gate_pass)))).reason == "pass_not_yet_valid"


async def test_forged_and_malformed(gate) -> None:
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    out, _ = await lane(gate)
    text = qr(gate_pass)
    tampered = text[:20] + ("A" if text[20] != "A" else "B") + text[21:]
    assert (await decide(gate, out, Scan("f1", tampered))).reason in ("pass_forged",
                                                                       "pass_malformed")
    assert (await decide(gate, out, Scan("f2", "hello"))).reason == "pass_malformed"
    assert (await Declaration.get(id=gate_pass["declaration_id"])).status \
        is DeclarationStatus.APPROVED


async def test_issued_credential_needs_no_signature_check(gate, monkeypatch) -> None:
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    out, _ = await lane(gate)

    def no_verify(*_: object) -> None:
        raise AssertionError("the issued credential was verified again")

    monkeypatch.setattr(pass_tokens, "verify", no_verify)
    decision = await decide(gate, out, Scan("n1", qr(gate_pass)))
    assert (decision.action, decision.reason) == ("open", "pass_valid")


async def test_signed_but_not_issued_credential_is_refused(gate) -> None:  # R-G2
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    out, _ = await lane(gate)
    _, key = await gate.keys.signer()
    scanned = pass_tokens.parse(qr(gate_pass))
    longer = dataclasses.replace(scanned.credential, valid_until=T0 + timedelta(days=30))
    ours = pass_tokens.encode_credential(longer, key)  # our signature, never issued
    text = pass_tokens.qr_text(ours, scanned.code)
    assert (await decide(gate, out, Scan("r1", text))).reason == "pass_revoked"
    other_key = Ed25519PrivateKey.generate()
    forged = pass_tokens.qr_text(pass_tokens.encode_credential(longer, other_key),
                                 scanned.code)
    assert (await decide(gate, out, Scan("r2", forged))).reason == "pass_forged"
    expired = dataclasses.replace(scanned.credential, valid_until=T0 - timedelta(hours=1))
    forged_expired = pass_tokens.qr_text(pass_tokens.encode_credential(expired, other_key),
                                         scanned.code)  # refused on its claims: still named
    assert (await decide(gate, out, Scan("r3", forged_expired))).reason == "pass_forged"
    assert (await decide(gate, out, Scan("r4", qr(gate_pass)))).action == "open"


async def test_wrong_direction_port_lane_type_and_plate(gate) -> None:  # R-G1
    clock.freeze(T0)
    gate_pass = await issued(gate, await declared(gate))
    entry_lane, _ = await lane(gate, "ruili-in-1", direction="entry")
    other_port, _ = await lane(gate, "wd-out-1", port="wanding")
    goods, _ = await lane(gate, "ruili-goods", lane_type="bonded_goods")
    out, _ = await lane(gate)
    text = qr(gate_pass)
    assert (await decide(gate, entry_lane, Scan("w1", text))).reason == "wrong_direction"
    assert (await decide(gate, other_port, Scan("w2", text))).reason == "wrong_port"
    assert (await decide(gate, goods, Scan("w3", text))).reason == "wrong_lane_type"
    mismatch = await decide(gate, out, Scan("w4", text, plate="云N54321"))
    assert (mismatch.action, mismatch.reason) == ("hold", "plate_mismatch")
    ok = await decide(gate, out, Scan("w5", text, plate="云N 12345"))
    assert ok.action == "open"


async def test_blacklisted_owner_is_held_and_pass_revoked(gate) -> None:  # R-F9, R-G3
    clock.freeze(T0)
    declaration = await declared(gate)
    gate_pass = await issued(gate, declaration)
    out, _ = await lane(gate)
    filing = await declaration.filing
    await BlacklistEntry.create(subject_kind=SubjectKind.PERSON, subject_key=filing.owner_key,
                                subject_label="岩*", reason="overstay")
    decision = await decide(gate, out, Scan("b1", qr(gate_pass)))
    assert (decision.action, decision.reason) == ("hold", "blacklisted")
    user = await declaration.declared_by
    with pytest.raises(Forbidden):
        await passes.issue(gate, user, declaration.id)


async def test_cancelled_declaration_revokes_pass(gate) -> None:
    clock.freeze(T0)
    declaration = await declared(gate)
    gate_pass = await issued(gate, declaration)
    out, _ = await lane(gate)
    user = await declaration.declared_by
    await declarations.cancel(gate.deps, user, declaration.id)
    assert (await decide(gate, out, Scan("r1", qr(gate_pass)))).reason == "pass_revoked"
    with pytest.raises(Conflict):
        await passes.issue(gate, user, declaration.id)


async def test_used_pass_cannot_be_cancelled_before_the_ledger_is_written(gate) -> None:
    # R-G2: the release is taken in Redis at the scan; a cancellation a moment later, while
    # the database still says approved, is refused and the trip stays open.
    clock.freeze(T0)
    declaration = await declared(gate)
    gate_pass = await issued(gate, declaration)
    out, _ = await lane(gate)
    assert (await decide(gate, out, Scan("u1", qr(gate_pass)))).action == "open"
    with pytest.raises(Conflict) as err:
        await declarations.cancel(gate.deps, await declaration.declared_by, declaration.id)
    assert err.value.code == "declaration_not_cancellable"
    assert (await Declaration.get(id=declaration.id)).status is DeclarationStatus.USED


async def test_cancelled_first_the_lane_refuses(gate) -> None:  # R-G2
    # The cancellation commits between the lane's state read and its release: the release
    # finds the declaration no longer approved and writes no crossing.
    clock.freeze(T0)
    declaration = await declared(gate)
    gate_pass = await issued(gate, declaration)
    out, _ = await lane(gate)
    decision, release, _ = await gate_decisions._evaluate(gate, out, Scan("c1", qr(gate_pass)),
                                                          T0)
    assert decision.action == "open" and release is not None
    await declarations.cancel(gate.deps, await declaration.declared_by, declaration.id)
    [recorded] = await gate_record.record_batch([gate_record.Event(
        out.code, "c1", "scan", T0, gate_record.Variant("open", []),
        gate_record.Variant("refused", []), release)])
    assert (recorded.answer, recorded.done) == ("refused", False)
    assert not await Crossing.exists(declaration_id=declaration.id)
    assert (await Declaration.get(id=declaration.id)).status is DeclarationStatus.CANCELLED
    again = await decide(gate, out, Scan("c2", qr(gate_pass)))
    assert (again.action, again.reason) == ("deny", "pass_revoked")


async def test_secret_delivered_once_and_rotation(gate) -> None:
    clock.freeze(T0)
    declaration = await declared(gate)
    first = await issued(gate, declaration)
    assert first["totp"]["secret"]
    assert (await issued(gate, declaration))["totp"]["secret"] is None
    user = await declaration.declared_by
    new = present.pass_(await passes.rotate_secret(gate, user, declaration.id),
                        user.locale)
    out, _ = await lane(gate)
    assert (await decide(gate, out, Scan("o1", qr(first)))).reason == "code_stale"
    assert (await decide(gate, out, Scan("o2", qr(new)))).action == "open"


async def test_key_rotation_keeps_old_passes_until_retired(gate) -> None:
    clock.freeze(T0)
    old_pass = await issued(gate, await declared(gate))
    await gate.keys.rotate()
    new_pass = await issued(gate, await declared(gate, plate="云N22222", name="bob"))
    assert old_pass["kid"] != new_pass["kid"]
    out, _ = await lane(gate)
    await gate.keys.retire(old_pass["kid"])
    assert (await decide(gate, out, Scan("k1", qr(old_pass)))).reason == "pass_unknown_key"
    assert (await decide(gate, out, Scan("k2", qr(new_pass)))).action == "open"
    with pytest.raises(Conflict):
        await gate.keys.retire(new_pass["kid"])


async def test_emergency_plate_opens_at_once_and_is_logged(gate) -> None:  # R-G5
    out, _ = await lane(gate)
    decision = await decide(gate, out, Scan("em1", "", plate="云A 11911"))
    assert (decision.action, decision.reason) == ("open", "emergency")
    assert await LedgerEntry.filter(kind="emergency", plate="云A 11911").exists()
    other = await decide(gate, out, Scan("em2", "", plate="云A00000"))
    assert other.action == "deny"


@pytest.mark.parametrize("command_id", ["s1:cmd", 'x"flagged":false"known":true', "门-1"])
def test_the_entry_of_an_unknown_ack_is_the_known_one_flagged(command_id: str) -> None:
    from borderpass.models.gate import Lane
    from borderpass.services.gate import gate_commands

    lane_row, ack = Lane(code="ruili-out-1"), Ack("a1", command_id)
    clock.freeze(T0)
    known = gate_commands.ack_entry(lane_row, ack, True)
    assert gate_commands.unknown_variant(known) == gate_commands.ack_entry(lane_row, ack, False)


async def test_the_lane_state_read_probes_the_unlifted_blacklist_by_index(gate) -> None:
    # R-F9: a scan's blacklist check reads the partial index of unlifted entries, even
    # while the list is short enough that a whole-table scan looks cheap to the planner.
    from tortoise import connections

    from borderpass.services.gate.gate_decisions import _states_sql

    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        pytest.skip("PostgreSQL's planner")
    await BlacklistEntry.bulk_create([
        BlacklistEntry(subject_kind=SubjectKind.PERSON, subject_key=f"k{i}",
                       subject_label="x", reason="overstay") for i in range(200)])
    await conn.execute_script("ANALYZE blacklist")
    _, setting = await conn.execute_query("SHOW random_page_cost")
    assert setting[0]["random_page_cost"] == "1.1"
    _, plan = await conn.execute_query("EXPLAIN " + _states_sql("postgres", 4), [1, 2, 3, 4])
    text = "\n".join(row["QUERY PLAN"] for row in plan)
    assert "blacklist_active_subject" in text, text


async def test_an_ack_probes_its_command_by_lane_and_id_however_many_are_pending(gate) -> None:
    # R-G6: an ack's record finds its command by the unique (lane, command id), never by
    # reading the partial index of every lane's pending commands, even when the statistics
    # were taken while none was pending (as when a busy gate's plan was made).
    from tortoise import connections

    from borderpass.models.gate import LaneCommand

    conn = connections.get("default")
    if conn.capabilities.dialect != "postgres":
        pytest.skip("PostgreSQL's planner")
    await LaneCommand.bulk_create([LaneCommand(lane_code="ruili-out-1", command_id=f"old{i}",
                                               frame="{}", at=T0, acked_at=T0)
                                   for i in range(2000)])
    await conn.execute_script("ANALYZE gate_commands")
    await LaneCommand.bulk_create([LaneCommand(lane_code=f"lane-{i % 50}", command_id=f"p{i}",
                                               frame="{}", at=T0) for i in range(2000)])
    ack = gate_record.Event("lane-3", "a1", "ack", T0, gate_record.Variant("{}", []),
                            gate_record.Variant("{}", []), acks="p3")
    _, plan = await conn.execute_query(
        "EXPLAIN " + gate_record._PG_NO_RELEASE, [gate_record._pg_payload([ack]), T0])
    text = "\n".join(row["QUERY PLAN"] for row in plan)
    assert "gate_commands_pending" not in text, text
    assert "gate_commands_once" in text, text
