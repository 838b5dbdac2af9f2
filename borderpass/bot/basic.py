"""The small flows: language, help, status of filings, declarations and trip deadlines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from borderpass.bot import texts as T
from borderpass.bot.engine import INSTANT, STEPS, Expect, Flow, Step, Turn, register, set_language
from borderpass.core.i18n import LOCALES
from borderpass.models.enums import FilingStatus, TripStatus
from borderpass.services.crossings import declarations
from borderpass.services.filings import filings, return_reasons
from borderpass.services.filings.requirements import CATEGORY_LABELS
from borderpass.services.privacy import data_export

# -- language ----------------------------------------------------------------------------------


async def _language_options(turn: Turn) -> list[tuple[str, str]]:
    return [(loc, T.LANGUAGE_NAMES[loc]) for loc in LOCALES]


async def _language_prompt(turn: Turn) -> str:
    return turn.t(T.CHOOSE_LANGUAGE) if turn.state.locale else \
        " / ".join(T.t(T.CHOOSE_LANGUAGE, loc) for loc in LOCALES)


async def _language_chosen(turn: Turn, locale: str) -> str | None:
    await set_language(turn, locale)
    resume = turn.state.data.get("resume")
    if resume in STEPS:
        turn.state.data = dict(turn.state.data.get("resume_data") or {})
        turn.state.history = list(turn.state.data.pop("_history", []))
        return str(resume)
    if not turn.state.data.get("first"):
        return None
    turn.say(turn.t(T.WELCOME) + "\n\n" + turn.t(T.HELP))
    return None


async def _start_language(turn: Turn) -> str:
    return "language:choose"


register(Flow("language", _start_language, {
    "language:choose": Step("language:choose", Expect.CHOICE, _language_prompt,
                            _language_chosen, _language_options),
}))


async def ask_language(turn: Turn, first: bool = False) -> None:
    """Ask for the language, then come back to the step the user was at."""
    from borderpass.bot.engine import goto

    state = turn.state
    resume = {"resume": state.step, "resume_data": {**state.data, "_history": state.history},
              "first": first} if state.step and state.flow != "language" else {"first": first}
    state.step, state.data, state.history = None, resume, []
    await goto(turn, "language:choose")


async def _language_command(turn: Turn) -> None:
    await ask_language(turn)


# -- status ------------------------------------------------------------------------------------


def _when(turn: Turn, value: Any) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return T.day(moment, turn.locale, turn.rt.deps.tz)


async def status_text(turn: Turn) -> str:
    """Filings, recent declarations and open trips, with dates in the user's locale (R-F8)."""
    lines: list[str] = []
    own = await filings.list_own(turn.user)
    if own:
        lines.append(turn.t(T.STATUS_FILINGS))
        for f in own[:5]:
            status = turn.t(T.FILING_STATUS[f.status.value],
                            date=_when(turn, f.expires_at) if f.expires_at else "")
            plate = f.plate_number or turn.t(T.NO_PLATE)
            category = turn.t(CATEGORY_LABELS[f.category])
            lines.append(f"· {plate}（{category}）：{status}" if turn.locale == "zh_CN"
                         else f"· {plate} ({category}): {status}")  # half-width outside zh
            if f.status is FilingStatus.RETURNED:  # R-F6: every reason, in the reader's words
                lines += ["  " + return_reasons.line(i, r, turn.locale)
                          for i, r in enumerate(f.return_reasons, 1)]
    recent = await declarations.list_own(turn.user)
    if recent:
        lines.append(turn.t(T.STATUS_DECLARATIONS))
        for d in recent[:3]:
            lines.append(f"· {_when(turn, d.planned_at)} {turn.t(T.DIRECTIONS[d.direction.value])}"
                         f" {T.port_name(d.port, turn.locale)}"
                         f"{'：' if turn.locale == 'zh_CN' else ': '}"
                         f"{turn.t(T.DECLARATION_STATUS[d.status.value])}")
    trips = [t for t in await declarations.trips_of(turn.user)
             if t["status"] == TripStatus.OPEN.value]
    if trips:
        lines.append(turn.t(T.STATUS_TRIPS))
        for trip in trips:
            source = T.TRIP_OVERDUE if trip["overdue"] else T.TRIP_LINE
            lines.append("· " + turn.t(source, plate=trip["plate_number"] or "",
                                       deadline=_when(turn, trip["deadline"]),
                                       days=trip["days_left"]))
    return "\n".join(lines) if lines else turn.t(T.STATUS_NONE)


async def _status_command(turn: Turn) -> None:
    turn.say(await status_text(turn))


async def _data_command(turn: Turn) -> None:
    """A copy of the user's data (R-D3): queued; a message says when it can be fetched."""
    job = await data_export.request(turn.user)
    turn.say(turn.t(T.DATA_REQUESTED, id=job.id))


INSTANT["status"] = _status_command
INSTANT["data"] = _data_command
INSTANT["language"] = _language_command
