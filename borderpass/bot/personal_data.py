"""Deletion on request (R-D7) and withdrawal of consent (R-D2) in chat: each asks for a
confirmation, then answers in the user's language what was deleted at once and what is
kept, why and until when (the rules are ``services.privacy.erasure`` and
``services.privacy.privacy``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from borderpass.bot import texts as T
from borderpass.bot.engine import Expect, Flow, Step, Turn, register
from borderpass.services.privacy import erasure, privacy
from borderpass.services.units import unit_removals


def _day(turn: Turn, value: str) -> str:
    return T.day(datetime.fromisoformat(value), turn.locale, turn.rt.deps.tz)


def kept_lines(turn: Turn, kept: list[dict[str, Any]]) -> list[str]:
    """One line per kept record: what, why, until when (or while a hold lasts)."""
    lines = []
    for item in kept:
        status = turn.t(T.FILING_STATUS[item["status"]], date="").rstrip("，, ")
        record = turn.t(T.KEPT_RECORD, id=item["id"], plate=item.get("plate_number") or "",
                        status=status)
        reasons = [r for r in [item.get("reason"), *item.get("holds", [])]
                   if r and r != erasure.RETENTION]
        if item.get("kept_until") and not reasons:
            lines.append("· " + turn.t(T.KEPT_UNTIL, record=record,
                                       date=_day(turn, item["kept_until"])))
        else:
            words = "、" if turn.locale == "zh_CN" else ", "
            lines.append("· " + turn.t(T.KEPT_OPEN, record=record, reasons=words.join(
                turn.t(T.KEPT_REASONS[r]) for r in reasons or [erasure.RETENTION])))
    return lines


async def _ask_erase(turn: Turn) -> str:
    return turn.t(T.ERASE_ASK)


async def _erase(turn: Turn, agreed: bool) -> str | None:
    if not agreed:
        turn.say(turn.t(T.NOT_DONE))
        return None
    done = await erasure.request(turn.rt.deps, turn.user, unit_removals.ON_ERASURE)
    deleted = done.deleted
    lines = [turn.t(T.ERASE_REPEATED, date=_day(turn, done.requested_at))] if done.repeated \
        else []
    lines.append(turn.t(T.ERASE_DONE, drafts=deleted.get("drafts", 0),
                        documents=deleted.get("documents", 0),
                        exports=deleted.get("data_exports", 0)))
    if done.kept:
        lines += [turn.t(T.ERASE_KEPT), *kept_lines(turn, done.kept)]
    lines.append(turn.t(T.ERASE_ACCOUNT if done.account_erased else T.ERASE_DEFERRED))
    turn.say("\n".join(lines))
    return None


async def _ask_withdraw(turn: Turn) -> str:
    return turn.t(T.WITHDRAW_ASK)


async def _withdraw(turn: Turn, agreed: bool) -> str | None:
    if not agreed:
        turn.say(turn.t(T.NOT_DONE))
        return None
    done = await privacy.withdraw(turn.rt.deps, turn.user)
    lines = [turn.t(T.WITHDRAW_DONE, drafts=done.deleted_drafts,
                    documents=done.deleted_documents)]
    kept = [{**k, "id": k["filing_id"], "holds": [], "reason": erasure.RETENTION
             if k["kept_until"] else _open_reason(k["status"])} for k in done.kept]
    if kept:
        lines += [turn.t(T.ERASE_KEPT), *kept_lines(turn, kept)]
    turn.say("\n".join(lines))
    return None


def _open_reason(status: str) -> str:
    return erasure.UNDER_REVIEW if status == "submitted" else erasure.IN_FORCE


async def _start_erase(turn: Turn) -> str:
    return "erase:confirm"


async def _start_withdraw(turn: Turn) -> str:
    return "withdraw:confirm"


register(Flow("erase", _start_erase, {
    "erase:confirm": Step("erase:confirm", Expect.CONFIRM, _ask_erase, _erase)}))
register(Flow("withdraw", _start_withdraw, {
    "withdraw:confirm": Step("withdraw:confirm", Expect.CONFIRM, _ask_withdraw, _withdraw)}))
