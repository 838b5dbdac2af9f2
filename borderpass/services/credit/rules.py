"""The credit rules (R-P2.1 … R-P2.5): a party's events in, its class out, with the rule
that decided, the event that caused it and every reason shown to the party.

Rules as data: ``RULES`` lists them in the order they are tried (the first that holds
decides), each numbered as docs/rules.md numbers it. ``VERSION`` is stored beside every
class it derives: change a rule, bump it, and the records say which rules made them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from borderpass.core.i18n import N_
from borderpass.models.credit import CreditEvent

VERSION = 1
WINDOW = timedelta(days=365)  # how far back a past failing still counts (R-P2.3, R-P2.4)
GOOD_MIN_ON_TIME = 3  # on-time crossings in the window to be good (R-P2.4)
FALSE_DATA_RESTRICTS = 2  # returns for false data in the window that restrict (R-P2.2)

GOOD, NORMAL, RESTRICTED, DISHONEST = "good", "normal", "restricted", "dishonest"
CLASSES = {
    GOOD: N_("守信"), NORMAL: N_("一般"), RESTRICTED: N_("受限"), DISHONEST: N_("失信"),
}

# Event kinds: what each means to the rules.
CROSSING_ON_TIME = "crossing_on_time"
OVERSTAY, OVERSTAY_LIFTED = "overstay", "overstay_lifted"
DISHONESTY, DISHONESTY_LIFTED = "dishonesty", "dishonesty_lifted"
EXPORT_LOCKED, EXPORT_RELEASED = "export_locked", "export_released"
FALSE_DATA_RETURN = "false_data_return"
VIOLATION, VIOLATION_LIFTED = "violation", "violation_lifted"  # an agency's record (feed)
KINDS = {
    CROSSING_ON_TIME: N_("按期往返"),
    OVERSTAY: N_("逾期未返回被列入黑名单"),
    OVERSTAY_LIFTED: N_("逾期黑名单已解除"),
    DISHONESTY: N_("严重失信记录"),
    DISHONESTY_LIFTED: N_("失信记录已解除"),
    EXPORT_LOCKED: N_("出口车辆逾期未注销，出口业务锁定"),
    EXPORT_RELEASED: N_("出口车辆已注销，锁定解除"),
    FALSE_DATA_RETURN: N_("备案因信息不实被退回"),
    VIOLATION: N_("口岸管理部门通报的违规记录"),
    VIOLATION_LIFTED: N_("违规记录已解除"),
}
ENDS = {OVERSTAY_LIFTED: OVERSTAY, DISHONESTY_LIFTED: DISHONESTY,
        EXPORT_RELEASED: EXPORT_LOCKED, VIOLATION_LIFTED: VIOLATION}
LASTING = frozenset(ENDS.values())  # in force until lifted (or their ``until`` passes)
FAILINGS = LASTING | {FALSE_DATA_RETURN}  # what keeps a party from good for the window


@dataclass
class Verdict:
    """A derived class: the rule that decided, its cause, the reasons, when to look again."""

    credit_class: str
    rule: str
    cause: CreditEvent | None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    recheck_at: datetime | None = None


@dataclass
class Facts:
    """What the rules read from a party's events at ``now``."""

    now: datetime
    in_force: list[CreditEvent]  # lasting events not lifted and not past their term
    failings: list[CreditEvent]  # failings within the window, lifted or not
    on_time: list[CreditEvent]  # on-time crossings within the window
    recheck_at: datetime | None


def facts(events: Sequence[CreditEvent], now: datetime) -> Facts:
    """Sort a party's events into what the rules ask about."""
    lifted = {(e.source, e.lifts) for e in events if e.kind in ENDS and e.lifts}
    since = now - WINDOW
    in_force, failings, on_time, moments = [], [], [], []
    for e in sorted(events, key=lambda e: (e.occurred_at, e.id or 0)):
        if e.kind in LASTING and (e.source, e.ref) not in lifted and (
                e.until is None or e.until > now):
            in_force.append(e)
            if e.until is not None:
                moments.append(e.until)
        if e.occurred_at > since:
            if e.kind in FAILINGS:
                failings.append(e)
                moments.append(e.occurred_at + WINDOW)
            elif e.kind == CROSSING_ON_TIME:
                on_time.append(e)
                moments.append(e.occurred_at + WINDOW)
    return Facts(now, in_force, failings, on_time, min(moments, default=None))


def _reason(rule: str, event: CreditEvent | None, **params: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"rule": rule, **params}
    if event is not None:
        found |= {"event_id": event.id, "kind": event.kind,
                  "at": event.occurred_at.isoformat()}
    return found


def _dishonest(f: Facts) -> Verdict | None:  # R-P2.1
    found = [e for e in f.in_force if e.kind == DISHONESTY]
    if not found:
        return None
    return Verdict(DISHONEST, "R-P2.1", found[-1], [_reason("R-P2.1", e) for e in found])


def _restricted(f: Facts) -> Verdict | None:  # R-P2.2
    lasting = [e for e in f.in_force if e.kind != DISHONESTY]
    false_data = [e for e in f.failings if e.kind == FALSE_DATA_RETURN]
    reasons = [_reason("R-P2.2", e) for e in lasting]
    if len(false_data) >= FALSE_DATA_RESTRICTS:
        reasons += [_reason("R-P2.2", e, count=len(false_data)) for e in false_data]
    if not reasons:
        return None
    cause = lasting[-1] if lasting else false_data[-1]
    return Verdict(RESTRICTED, "R-P2.2", cause, reasons)


def _past_failing(f: Facts) -> Verdict | None:  # R-P2.3
    if not f.failings:
        return None
    return Verdict(NORMAL, "R-P2.3", f.failings[-1],
                   [_reason("R-P2.3", e) for e in f.failings])


def _good(f: Facts) -> Verdict | None:  # R-P2.4
    if len(f.on_time) < GOOD_MIN_ON_TIME:
        return None
    return Verdict(GOOD, "R-P2.4", f.on_time[-1],
                   [_reason("R-P2.4", None, count=len(f.on_time), needed=GOOD_MIN_ON_TIME)])


def _normal(f: Facts) -> Verdict:  # R-P2.5
    return Verdict(NORMAL, "R-P2.5", None,
                   [_reason("R-P2.5", None, count=len(f.on_time), needed=GOOD_MIN_ON_TIME)])


RULES = (_dishonest, _restricted, _past_failing, _good)
RULE_TEXTS = {
    "R-P2.1": N_("有未解除的严重失信记录：失信"),
    "R-P2.2": N_("有未解除的逾期、出口锁定或违规记录，或一年内两次以上因信息不实被退回：受限"),
    "R-P2.3": N_("一年内有过逾期、失信、出口锁定、违规或信息不实记录（已解除的也算）：一般"),
    "R-P2.4": N_("一年内按期往返{needed}次以上且无不良记录：守信（现有{count}次）"),
    "R-P2.5": N_("按期往返记录不足{needed}次（现有{count}次）：一般"),
}


def classify(events: Sequence[CreditEvent], now: datetime) -> Verdict:
    """The class of a party with these events at ``now``: the first rule that holds."""
    f = facts(events, now)
    for rule in RULES:
        if (verdict := rule(f)) is not None:
            break
    else:
        verdict = _normal(f)
    verdict.recheck_at = f.recheck_at
    return verdict
