"""Photos sent in chat: acknowledged at once and queued per user; a worker downloads each
from WeChat in order, stores it, reads it by OCR and prefills the draft (R-P1); the outcome
of the whole burst and the next question arrive as one customer-service message.
"""

from __future__ import annotations

import logging
import string
from typing import Any

from borderpass.adapters.wechat import WeChatError
from borderpass.bot import texts as T
from borderpass.bot import words
from borderpass.bot.engine import STEPS, Turn, goto, prompt_of
from borderpass.bot.photos import QUEUE_MAX, PhotoJob
from borderpass.bot.runtime import BotRuntime
from borderpass.core.errors import BorderPassError, FieldError
from borderpass.models import Document, Filing, FilingDriver, User
from borderpass.models.enums import FilingCategory
from borderpass.services.filings import document_intake, documents, filings, prefill
from borderpass.services.filings.filings import FilingView
from borderpass.services.filings.requirements import field_label
from borderpass.services.ports import Deps

log = logging.getLogger("borderpass.bot")
LETTERS = string.ascii_uppercase


async def queue_photo(turn: Turn, media_id: str) -> None:
    """Queue a photo of the draft and acknowledge it now; a worker per user reads the queue
    in order after the turn (the lock is released by then) and answers once for the burst."""
    data = turn.state.data
    job = PhotoJob(int(data["filing_id"]), str(data.get("slot") or ""), media_id)
    start, queued = await turn.rt.photos.put(turn.openid, job)
    if not queued:
        turn.say(turn.t(T.PHOTOS_FULL, max=QUEUE_MAX))
        return
    turn.say(turn.t(T.PHOTO_RECEIVED) if queued == 1 else turn.t(T.PHOTO_QUEUED, n=queued))
    if start:
        rt, openid, user = turn.rt, turn.openid, turn.user
        turn.later.append(lambda: work(rt, openid, user))


async def work(rt: BotRuntime, openid: str, user: User) -> None:
    """Handle the user's queued photos one by one, then send one combined answer."""
    speaker = Turn(rt, openid, user, await rt.storage.get(openid))  # words in their language
    lines: list[str] = []
    filing_id: int | None = None
    job = await rt.photos.next(openid)
    while job is not None:
        try:
            lines += await _one(rt, speaker, job)
        except BorderPassError as exc:
            lines.append(speaker.error(exc))
        except Exception:
            await rt.photos.stop(openid)  # the photo stays queued for the next worker
            raise
        filing_id = job.filing_id
        job = await rt.photos.next(openid, handled=job)
    if filing_id is not None:
        await _answer(rt, openid, user, filing_id, lines)


async def resume(rt: BotRuntime) -> int:
    """Start a worker for each user whose queued photos lost theirs (a crash, a restart);
    how many were started."""
    from borderpass.services.identity import chat_users

    started = 0
    for openid in await rt.photos.stranded():
        user = await chat_users.linked_user(openid)
        if user is None:  # the account was closed: nobody to read them for
            await rt.photos.drop(openid)
            continue
        rt.spawn(work(rt, openid, user))
        started += 1
    return started


async def _slot_for(rt: BotRuntime, user: User, job: PhotoJob) -> str | None:
    """The slot asked when the photo came if still empty, else the first still missing."""
    from borderpass.bot.filing import missing_documents

    missing = await missing_documents(rt, user, job.filing_id)
    if job.slot in missing:
        return job.slot
    return missing[0] if missing else None


async def _one(rt: BotRuntime, turn: Turn, job: PhotoJob) -> list[str]:
    """Store one photo in its slot, read it and prefill the draft; what to tell the user."""
    slot = await _slot_for(rt, turn.user, job)
    if slot is None:
        return [turn.t(T.PHOTO_NOT_NEEDED)]
    kind = slot.split("#", 1)[0]
    taken = await document_intake.take(rt.deps, rt.ocr_read, turn.user, kind,
                                       await _download(rt, job.media_id),
                                       document_intake.Target(job.filing_id, slot))
    label = turn.t(field_label(f"documents.{kind}") or slot)
    lines = [turn.t(T.PHOTO_SAVED, label=label)]
    if taken.ocr_error:
        lines.append(turn.error(BorderPassError(taken.ocr_error)))
    if taken.reading is not None and taken.prefill is not None:
        lines += _outcome(turn, taken.prefill, taken.reading)
    return lines


def _labels(turn: Turn, paths: list[str]) -> str:
    """Form fields by their labels, listed the way the user's language lists."""
    names = [turn.t(field_label(p) or p) for p in paths]
    return ("、" if turn.locale == "zh_CN" else ", ").join(names)


def _outcome(turn: Turn, result: dict[str, Any], reading: dict[str, Any]) -> list[str]:
    """What the reading gave: new values (shown at the confirm step), values equal to those
    already filled, values kept for the reviewer only — and "nothing" only when nothing was
    read (issue #18: a VIN plate repeating the licence's VIN, or an ID card's back side whose
    fields the form does not hold, were read exactly and must not be called unreadable).
    Then the form fields whose reading was not sure enough to fill, to check (R-P5)."""
    to_check = list(dict.fromkeys(item["path"] for item in result.get("check", [])
                                  if item.get("path")))
    check = [turn.t(T.READ_CHECK, fields=_labels(turn, to_check))] if to_check else []
    if result["filled"] or result["conflicts"]:
        return check
    if result.get("matched"):
        return [turn.t(T.READ_MATCHES, fields=_labels(turn, result["matched"])), *check]
    if check:
        return check
    if prefill.read_values(reading):
        return [turn.t(T.READ_KEPT)]
    return [turn.t(T.READ_NOTHING)]


async def _answer(rt: BotRuntime, openid: str, user: User, filing_id: int,
                  lines: list[str]) -> None:
    """The burst's one answer: every photo's outcome, then the draft's next question."""
    from borderpass.bot.filing import next_step

    async with rt.storage.session(openid) as held:
        state = held.state
        turn = Turn(rt, openid, user, state)
        for line in lines:
            turn.say(line)
        if state.flow == "file" and state.data.get("filing_id") == filing_id:
            try:
                await goto(turn, await next_step(turn))
            except BorderPassError as exc:
                turn.say(turn.error(exc))
                if state.step in STEPS:
                    turn.say(await prompt_of(turn, STEPS[state.step]))
    await rt.delivery.send_text(openid, "\n\n".join(turn.out))


async def _download(rt: BotRuntime, media_id: str) -> bytes:
    """A photo's bytes from WeChat's media store."""
    try:
        return await rt.client.download_media(media_id)
    except WeChatError as exc:
        raise BorderPassError("wechat_unavailable") from exc


# -- "I read: …, reply 1 to confirm or send the correction" -------------------------------


def _marks(filing: Filing) -> list[tuple[str, dict[str, Any], bool]]:
    data = filing.data
    marks = [(p, m, False) for p, m in data.get("prefilled", {}).items()]
    return marks + [(p, m, True) for p, m in data.get("conflicts", {}).items()]


async def _shown(turn: Turn, filing: Filing) -> FilingView:
    """The draft as its applicant sees it (identity numbers masked, R-U7)."""
    return await filings.view(turn.rt.deps, filing)


def _value_in(view: FilingView, path: str) -> Any:
    """The shown value at a field path of the draft (None where it has none)."""
    if path.startswith("drivers["):
        index = int(path[len("drivers["):path.index("]")])
        drivers = view.drivers
        return drivers[index].value(path.rsplit(".", 1)[-1]) if index < len(drivers) else None
    section, _, name = path.rpartition(".")
    return _section(view, section).get(name)


def _section(view: FilingView, section: str) -> dict[str, Any]:
    data = view.filing.data
    personal = view.filing.category is FilingCategory.PERSONAL
    if section == "vehicle":
        return data.get("vehicle") or {}
    if section == "owner" and personal:
        return {**data.get("owner", {}), "id_number": view.owner_id_number}
    if section == "organisation" and not personal:
        return data.get("organisation") or {}
    if section == "documents":
        return view.documents
    return {}


async def confirm_prompt(turn: Turn, filing: Filing) -> str:
    """What OCR filled in (and where it disagrees), lettered for corrections."""
    view = await _shown(turn, filing)
    lines = []
    for letter, (path, mark, clash) in zip(LETTERS, _marks(filing), strict=False):
        label = turn.t(field_label(path) or path)
        # The user's own values, read from their own photo, in full in their private chat:
        # never ask them to confirm a number shown masked (issue #18). Not logged.
        value = mark.get("value") or await _ocr_value(turn.rt.deps, path, mark) \
            or _value_in(view, path) or "***"
        if clash:
            value = f"{value} ≠ {_value_in(view, path)}"
        lines.append(f"{letter} {label}{T.colon(turn.locale)}{value}")
    return turn.t(T.I_READ, fields="\n".join(lines))


async def _ocr_value(deps: Deps, path: str, mark: dict[str, Any]) -> str | None:
    """The value a document read for ``path``, from the stored reading (sealed ones too)."""
    doc = await Document.get_or_none(id=mark.get("document_id"))
    reading = documents.reading_of(deps, doc) if doc is not None else None
    if doc is None or not reading:
        return None
    name = path.rsplit(".", 1)[-1] if path.startswith("drivers[") else path
    table = prefill.DRIVER_MAP if path.startswith("drivers[") else prefill.VEHICLE_MAP
    for ocr_name, target in table.get(doc.kind, {}).items():
        if target == name:
            value = reading.get("fields", {}).get(ocr_name, {}).get("value")
            return str(value) if value else None
    return None


async def confirm_reply(turn: Turn, filing: Filing, text: str) -> bool:
    """'1' accepts every value read; 'B 云N12345' corrects one. True once all are settled."""
    from borderpass.bot.filing import field_body

    marks = _marks(filing)
    drivers = await FilingDriver.filter(filing=filing).order_by("position")
    text = text.strip()
    if words.yes_no(text) is True:  # one matcher for every confirm step (issue #18)
        body: dict[str, Any] = {"confirm_prefill": True}
        for path, mark, clash in marks:
            if clash and (value := await _ocr_value(turn.rt.deps, path, mark)) is not None:
                _merge(body, field_body(filing, drivers, path, value))
        await filings.update(turn.rt.deps, turn.user, filing.id, body)
        return True
    letter, _, value = text.partition(" ")
    index = LETTERS.find(letter.upper()) if len(letter) == 1 else -1
    if not 0 <= index < len(marks) or not value.strip():
        raise FieldError("choice", None, choices="1, A…")
    path = marks[index][0]
    await filings.update(turn.rt.deps, turn.user, filing.id,
                         field_body(filing, drivers, path, value.strip()))
    await filing.refresh_from_db()
    return not _marks(filing)


def _merge(body: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if key == "drivers" and "drivers" in body:
            for row, extra in zip(body["drivers"], value, strict=True):
                row.update(extra)
        elif isinstance(value, dict):
            body.setdefault(key, {}).update(value)
        else:
            body[key] = value
