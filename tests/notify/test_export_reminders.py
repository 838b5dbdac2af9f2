"""R-E7: registration-cancellation reminders of exported vehicles go out before the deadline,
once per vehicle, stage and enterprise member, never for a cancelled vehicle."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from export_factories import approved_enterprise, exporter, issued_licence, officer
from export_factories import vins as make_vins

from borderpass.models import User
from borderpass.models.enums import Role
from borderpass.models.export import EnterpriseMember, LicenceVehicle
from borderpass.models.notify import Notification
from borderpass.services import clock
from borderpass.services.export import obligations
from borderpass.services.notify import cancellations, kinds, relevance
from borderpass.services.notify.sweep import sweep_cancellations
from borderpass.services.notify.texts import Reader, plain_text, render, subscribe_data
from borderpass.services.ports import Deps
from borderpass.services.sweeps import run_sweeps

pytestmark = pytest.mark.usefixtures("db")
CLEARED_AT = datetime(2026, 4, 10, 2, 0, tzinfo=UTC)
DUE = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)  # clearance + 2 calendar months
MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)
MYANMAR = re.compile("[\u1000-\u104f]")
CANCEL_KINDS = (kinds.EXPORT_CANCEL_DUE, kinds.EXPORT_CANCEL_OVERDUE)


async def _cleared(deps: Deps, count: int = 2) -> tuple[list[User], list[LicenceVehicle]]:
    """A licence of ``count`` vehicles cleared at CLEARED_AT; the enterprise has two members,
    the second reading Burmese."""
    user = await exporter()
    clock.freeze(datetime(2026, 4, 1, 2, 0, tzinfo=UTC))
    enterprise = await approved_enterprise(deps, user)
    vins = make_vins(count)
    licence = await issued_licence(deps, user, enterprise, vins)
    partner = await exporter("partner")
    partner.locale = "my"
    await partner.save(update_fields=["locale"])
    await EnterpriseMember.create(enterprise=enterprise, user=partner)
    clock.freeze(CLEARED_AT)
    await obligations.record_clearance(await officer(Role.CUSTOMS), licence.id, {"vins": vins})
    await sweep_cancellations(clock.now())  # the first sweep: nothing is due yet
    vehicles = await LicenceVehicle.filter(licence_id=licence.id).order_by("position")
    return [user, partner], vehicles


async def _keys() -> list[str]:
    return sorted(await Notification.filter(kind__in=CANCEL_KINDS)
                  .values_list("dedupe_key", flat=True))


async def _sweep_at(moment: datetime) -> None:
    clock.freeze(moment)
    await sweep_cancellations(moment)


async def _cancel(deps: Deps, user: User, vin: str) -> None:
    await obligations.record_exit(vin, source="customs", at=clock.now() - DAY)
    await obligations.record_cancellation(deps, user, {
        "vin": vin, "cancelled_on": clock.now().astimezone(deps.tz).date().isoformat(),
        "qr_text": f"https://gab.122.gov.cn/z/{vin}"})


async def test_r_e7_each_stage_queued_once_for_every_member(deps: Deps) -> None:  # R-E7
    members, vehicles = await _cleared(deps)
    assert vehicles[0].cancel_due_at == DUE
    assert await _keys() == []
    for stage, lead in kinds.CANCEL_STAGES:
        await _sweep_at(DUE - lead + MINUTE)
        await sweep_cancellations(clock.now())  # a rerun queues nothing new
        assert len(await _keys()) == len(vehicles) * len(members) * \
            ([s for s, _ in kinds.CANCEL_STAGES].index(stage) + 1)
    await _sweep_at(DUE + MINUTE)  # the deadline passed: the lock notice
    await _sweep_at(DUE + 5 * DAY)  # and nothing after it
    expected = sorted(cancellations.key(v.id, stage, m.id) for v in vehicles for m in members
                      for stage in ("d14", "d3", "overdue"))
    assert await _keys() == expected
    overdue = await Notification.filter(kind=kinds.EXPORT_CANCEL_OVERDUE)
    assert len(overdue) == len(vehicles) * len(members)
    assert {(n.user_id, n.locale) for n in overdue} == {  # type: ignore[attr-defined]
        (members[0].id, "zh_CN"), (members[1].id, "my")}
    assert kinds.EXPORT_CANCEL_DUE in kinds.QUIET_KINDS  # sent 08:00–21:00 their time
    assert kinds.EXPORT_CANCEL_OVERDUE in kinds.QUIET_KINDS


async def test_r_e7_no_reminder_for_a_cancelled_vehicle(deps: Deps) -> None:  # R-E7
    members, vehicles = await _cleared(deps)
    await _sweep_at(DUE - 14 * DAY + MINUTE)
    queued = await Notification.get(dedupe_key=cancellations.key(vehicles[0].id, "d14",
                                                                  members[0].id))
    await _cancel(deps, members[0], vehicles[0].vin)
    verdict = await relevance.check(queued)  # already queued: skipped when its turn comes
    assert not verdict.send and verdict.why == "the registration was cancelled"
    await _sweep_at(DUE - 3 * DAY + MINUTE)
    await _sweep_at(DUE + MINUTE)
    keys = await _keys()
    assert not [k for k in keys if k.startswith(f"export-vehicle:{vehicles[0].id}:")
                and ":d14:" not in k]
    assert cancellations.key(vehicles[1].id, "overdue", members[1].id) in keys


async def test_r_e7_downtime_queues_only_the_latest_missed_stage(deps: Deps) -> None:  # R-E7
    members, vehicles = await _cleared(deps, count=1)
    await _sweep_at(DUE - 20 * DAY)
    await _sweep_at(DUE - 2 * DAY)  # down through the 14- and 3-day reminders
    assert await _keys() == sorted(cancellations.key(vehicles[0].id, "d3", m.id)
                                   for m in members)
    row = await Notification.get(dedupe_key=cancellations.key(vehicles[0].id, "d3",
                                                               members[0].id))
    assert (await relevance.check(row)).send
    clock.freeze(DUE + MINUTE)  # not sent before the deadline: the overdue notice replaces it
    assert (await relevance.check(row)).why == "superseded by a later reminder"
    await _sweep_at(DUE + 30 * DAY)  # a month of downtime: one overdue notice each, no more
    overdue = await Notification.filter(kind=kinds.EXPORT_CANCEL_OVERDUE)
    assert len(overdue) == len(members)
    assert (await relevance.check(overdue[0])).send


async def test_r_e7_periodic_sweeper_queues_cancellation_reminders(deps: Deps) -> None:  # R-E7
    members, _vehicles = await _cleared(deps, count=1)
    clock.freeze(DUE - 3 * DAY + MINUTE)
    result = await run_sweeps(deps)
    assert result is not None and result["cancellation_reminders"] == len(members)


@pytest.mark.parametrize(("locale", "expect"), [
    ("zh_CN", "须于 2026年6月10日 10:00 前办理注销登记"),
    ("en", "must be cancelled before June 10, 2026"),
    ("my", "2026 ဇွန် 10"),
])
async def test_r_e7_reminder_renders_in_three_locales(deps: Deps, locale: str,
                                                      expect: str) -> None:  # R-E7
    _members, vehicles = await _cleared(deps, count=1)
    await _sweep_at(DUE - 3 * DAY + MINUTE)
    await _sweep_at(DUE + MINUTE)
    reader = Reader(locale, kinds.user_zone(None, locale), clock.now() - 3 * DAY)
    for kind in CANCEL_KINDS:
        row = await Notification.filter(kind=kind).first()
        assert row is not None
        message = render(kind, row.payload, reader)
        text = plain_text(message)
        assert vehicles[0].vin in text and "TV7250GLD" in text
        assert ("二维码" if locale == "zh_CN" else "QR") in text  # what to record
        assert row.payload["licence_number"] in text and "{" not in text
        assert message.subject == vehicles[0].vin and message.page is not None
        assert all(len(v) <= 20 for k, v in subscribe_data(message, reader).items()
                   if k.startswith("thing"))
        if kind == kinds.EXPORT_CANCEL_DUE:
            assert expect in text
        else:
            assert "瑞丽二手车出口有限公司" in text  # the locked enterprise, named
        if locale == "my":
            assert MYANMAR.search(message.title) and MYANMAR.search(message.tip)
        if locale == "en":
            assert not re.search("[\u4e00-\u9fff]", message.title + message.tip)
