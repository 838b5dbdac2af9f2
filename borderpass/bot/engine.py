"""The dialog engine: declarative steps (prompt, expected input, validation, next step), the
commands that work at any step, and one turn from input to reply.

A flow is a set of :class:`Step` objects named ``"Flow:step"``. A step's handler gets the
validated value and returns the next step's name (``None`` ends the flow). Flows that fill
a form (filing) compute their next step from the stored draft, so resuming, going back and
switching between chat and mini-program are safe.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from borderpass.bot import texts as T
from borderpass.bot import words
from borderpass.bot.runtime import BotRuntime
from borderpass.bot.storage import DialogState
from borderpass.core.errors import BorderPassError
from borderpass.core.i18n import LOCALES
from borderpass.models import User
from borderpass.services.error_text import first_error_line

log = logging.getLogger("borderpass.bot")


class Expect(StrEnum):
    """The input a step waits for."""

    TEXT = "text"
    CHOICE = "choice"
    IMAGE = "image"
    DATE = "date"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Input:
    """What the user sent: a text, or a photo by its WeChat media id."""

    kind: str  # "text" | "image"
    text: str = ""
    media_id: str = ""


class Invalid(Exception):
    """The input does not fit the step; ``message`` is already in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


Prompt = Callable[["Turn"], Awaitable[str]]
Handler = Callable[["Turn", Any], Awaitable[str | None]]
Options = Callable[["Turn"], Awaitable[list[tuple[str, str]]]]


@dataclass(frozen=True)
class Step:
    """One question: its prompt, the input it expects, and what to do with the answer."""

    name: str
    expects: Expect
    prompt: Prompt
    handle: Handler
    options: Options | None = None  # CHOICE: (value, label) pairs, offered as 1, 2, 3 …
    on_image: Handler | None = None  # a photo sent at this step (queued by the filing flow)
    on_text: Handler | None = None  # a text at an IMAGE step: None from it = not handled


@dataclass(frozen=True)
class Flow:
    """A named set of steps and how to enter it."""

    name: str
    start: Callable[[Turn], Awaitable[str | None]]
    steps: dict[str, Step]


FLOWS: dict[str, Flow] = {}
STEPS: dict[str, Step] = {}


def register(flow: Flow) -> Flow:
    """Make a flow reachable by name and its steps by their names."""
    FLOWS[flow.name] = flow
    STEPS.update(flow.steps)
    return flow


@dataclass
class Turn:
    """One user's turn: who, their state, and the reply being built."""

    rt: BotRuntime
    openid: str
    user: User
    state: DialogState
    out: list[str] = field(default_factory=list)
    image: str | None = None  # media id of an image to show
    later: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)

    @property
    def locale(self) -> str:
        return self.state.locale or self.user.locale or "zh_CN"

    def t(self, source: str, **params: object) -> str:
        return T.t(source, self.locale, **params, **{
            k: v for k, v in T.command_words(self.locale).items() if k not in params})

    def say(self, text: str) -> None:
        self.out.append(text)

    def error(self, exc: BorderPassError) -> str:
        """A domain error as one line: 'Label: message' (the first of several)."""
        return first_error_line(exc, self.locale)


# -- validation per expected input ----------------------------------------------------------

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


async def validate(turn: Turn, step: Step, inp: Input) -> Any:
    """The value of ``inp`` for ``step``, or Invalid with a localised message."""
    if step.expects is Expect.IMAGE:
        if inp.kind != "image":
            raise Invalid(turn.t(T.NEED_PHOTO))
        return inp.media_id
    if inp.kind != "text" or not inp.text.strip():
        raise Invalid(turn.t(T.PICK_NUMBER if step.expects is Expect.CHOICE else T.UNKNOWN))
    text = inp.text.strip()
    if step.expects is Expect.CHOICE:
        assert step.options is not None
        options = await step.options(turn)
        if text.isdigit() and 1 <= int(text) <= len(options):
            return options[int(text) - 1][0]
        for value, label in options:
            if text.lower() in (value.lower(), label.lower()):
                return value
        raise Invalid(turn.t(T.PICK_NUMBER))
    if step.expects is Expect.CONFIRM:
        answer = words.yes_no(text)
        if answer is None:
            raise Invalid(turn.t(T.YES_NO))
        return answer
    if step.expects is Expect.DATE:
        match = _DATE.match(text)
        try:
            if match is None:
                raise ValueError(text)
            return date(*(int(g) for g in match.groups())).isoformat()
        except ValueError as exc:
            raise Invalid(turn.t(T.DATE_FORMAT)) from exc
    return text


# -- moving between steps ---------------------------------------------------------------------

async def prompt_of(turn: Turn, step: Step) -> str:
    """The full question of a step, with its numbered options."""
    text = await step.prompt(turn)
    if step.options is not None:
        labels = [label for _, label in await step.options(turn)]
        text = f"{text}\n{T.numbered(labels)}"
    return text


async def goto(turn: Turn, name: str | None, *, remember: bool = True) -> None:
    """Enter step ``name`` and ask its question; ``None`` ends the flow."""
    state = turn.state
    if name is None:
        state.step, state.data, state.history = None, {}, []
        return
    if remember and state.step and state.step != name and state.step.split(":")[0] == \
            name.split(":")[0]:
        state.history = [*state.history, state.step][-20:]
    state.step = name
    turn.say(await prompt_of(turn, STEPS[name]))


async def start_flow(turn: Turn, flow: str) -> None:
    """Leave any current flow and enter ``flow`` at its first step."""
    turn.state.step, turn.state.data, turn.state.history = None, {}, []
    await goto(turn, await FLOWS[flow].start(turn))


async def remind(turn: Turn) -> None:
    """After a side answer (status, language), ask the pending question again."""
    step = STEPS.get(turn.state.step or "")
    if step is not None:
        turn.say(turn.t(T.CONTINUE) + "\n" + await prompt_of(turn, step))


# -- commands that work at any step --------------------------------------------------------------

Command = Callable[[Turn], Awaitable[None]]
INSTANT: dict[str, Command] = {}  # status, pass, help: answered without leaving the step


async def run_command(turn: Turn, name: str) -> None:
    """help, back, cancel, restart, language, status and the flow starters."""
    state = turn.state
    if name == "help":
        turn.say(turn.t(T.HELP))
        await remind(turn)
    elif name == "cancel":
        await goto(turn, None)
        turn.say(turn.t(T.CANCELLED))
    elif name == "back":
        if not state.history:
            turn.say(turn.t(T.AT_FIRST_STEP))
            await remind(turn)
        else:
            previous = state.history[-1]
            state.history = state.history[:-1]
            await goto(turn, previous, remember=False)
    elif name == "restart":
        flow = state.flow if state.flow in FLOWS else None
        if flow is None:
            turn.say(turn.t(T.HELP))
        else:
            state.data = {"restart": True}
            state.step, state.history = None, []
            await goto(turn, await FLOWS[flow].start(turn))
    elif name in INSTANT:
        before = state.step
        await INSTANT[name](turn)
        if state.step == before:
            await remind(turn)
    elif name in FLOWS:
        await start_flow(turn, name)


async def set_language(turn: Turn, locale: str) -> None:
    """Switch the user's language (stored on the user, so the mini-program follows)."""
    from borderpass.services.identity import users

    if locale in LOCALES:
        from borderpass.bot import language_tags

        turn.state.locale = locale
        await users.update_profile(turn.rt.deps, turn.user, {"locale": locale})
        turn.say(turn.t(T.LANGUAGE_SET))
        rt, openid = turn.rt, turn.openid
        turn.later.append(lambda: language_tags.apply(rt, openid, locale))  # the menu follows


# -- one turn ------------------------------------------------------------------------------------

async def on_input(turn: Turn, inp: Input) -> None:
    """Route one message: a command or language name first, else the current step."""
    if inp.kind == "text":
        command = T.command_of(inp.text)
        if command is not None:
            await run_command(turn, command)
            return
        locale = T.language_of(inp.text)
        if locale is not None and turn.state.flow != "language":
            await set_language(turn, locale)
            await remind(turn)
            return
    step = STEPS.get(turn.state.step or "")
    if step is None:
        turn.say(turn.t(T.UNKNOWN))
        return
    try:
        nxt = await _handled(turn, step, inp)
    except Invalid as exc:
        turn.say(exc.message)
        turn.say(await prompt_of(turn, step))
        return
    except BorderPassError as exc:
        turn.say(turn.error(exc))
        turn.say(await prompt_of(turn, step))
        return
    if nxt == turn.state.step:
        turn.say(await prompt_of(turn, step))
    elif nxt != KEEP:
        await goto(turn, nxt)


async def _handled(turn: Turn, step: Step, inp: Input) -> str | None:
    """Run the step's handler for ``inp`` (a photo or a side text when the step takes one)."""
    if inp.kind == "image" and step.on_image is not None:
        return await step.on_image(turn, inp.media_id)
    if inp.kind == "text" and step.expects is Expect.IMAGE and step.on_text is not None:
        nxt = await step.on_text(turn, inp.text.strip())
        if nxt is not None:
            return nxt
    return await step.handle(turn, await validate(turn, step, inp))


KEEP = "-keep-"  # a handler that already said everything and stays (waiting for OCR …)
