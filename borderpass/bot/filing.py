"""Filing a vehicle by chat — 备案: category, document photos (OCR types for the user),
vehicle photos, what is still missing, the credit commitment, submission.

Each next question is the first problem the filing service still reports for the draft
(Rasa-style), so the same draft can be continued in the mini-program and back.
"""

from __future__ import annotations

from typing import Any

from borderpass.bot import texts as T
from borderpass.bot import words
from borderpass.bot.engine import KEEP, Expect, Flow, Invalid, Step, Turn, register
from borderpass.bot.intake import confirm_prompt, confirm_reply, queue_photo
from borderpass.bot.runtime import BotRuntime
from borderpass.core.errors import FieldError, FieldErrors
from borderpass.models import Filing, FilingDriver, User
from borderpass.models.enums import FilingCategory
from borderpass.services.filings import commitments, filings
from borderpass.services.filings.filing_forms import EDITABLE
from borderpass.services.filings.requirements import (
    CATEGORY_LABELS,
    DRIVER_FIELDS,
    OCR_KINDS,
    PER_DRIVER_DOCUMENTS,
    FieldSpec,
    category_fields,
    driver_slot,
    field_label,
)
from borderpass.services.privacy import privacy

DOCUMENT_ORDER = ("vehicle_licence", "vin_plate", "id_card_front#1", "id_card_back#1",
                  "driving_licence#1", "exit_entry_permit#1", "photo_front_45",
                  "photo_rear_45", "photo_side")
FIELD_STEPS = {"date": "file:field_date", "bool": "file:field_bool",
               "choice": "file:field_choice"}


def _rank(slot: str) -> tuple[int, str]:
    if slot in DOCUMENT_ORDER:
        return DOCUMENT_ORDER.index(slot), slot
    return (len(DOCUMENT_ORDER) + (0 if slot.split("#")[0] in OCR_KINDS else 1)), slot


async def _filing(turn: Turn) -> Filing:
    return await filings.editable(turn.user, int(turn.state.data["filing_id"]))


def spec_of(filing: Filing, path: str) -> FieldSpec | None:
    """The form field a problem path names (``drivers[0].name`` → the driver's name)."""
    if path.startswith("drivers["):
        name = path.rsplit(".", 1)[-1]
        return next((s for s in DRIVER_FIELDS if s.name == name), None)
    return next((s for s in category_fields(filing.category) if s.name == path), None)


async def _missing(problems: list[FieldError], filing_id: int) -> list[str]:
    missing = [p.field.removeprefix("documents.") for p in problems
               if p.field and p.field.startswith("documents.")]
    if any(p.code == "drivers_required" for p in problems):
        # No driver yet: the first one's documents are due all the same, and listing them
        # now keeps the photo order stable while OCR creates the driver mid-burst.
        have = await _slots(filing_id)
        missing += [s for k in PER_DRIVER_DOCUMENTS if (s := driver_slot(k, 0)) not in have]
    return sorted(missing, key=_rank)


async def missing_documents(rt: BotRuntime, user: User, filing_id: int) -> list[str]:
    """The document slots the draft still lacks, in the order the chat asks for them."""
    return await _missing(await filings.problems(rt.deps, user, filing_id), filing_id)


def _owner_unknown(filing: Filing) -> bool:
    """A personal filing whose applicant has not said yet whether they own the vehicle:
    asked before any document, because it decides the power of attorney (R-F2)."""
    return filing.category is FilingCategory.PERSONAL and \
        "is_applicant" not in filing.data.get("owner", {})


async def next_step(turn: Turn) -> str | None:
    """The first thing the draft still lacks: who applies, a photo, an OCR check, a field,
    or consent (Rasa-style: the first missing item of the form)."""
    data = turn.state.data
    filing_id = int(data["filing_id"])
    problems = await filings.problems(turn.rt.deps, turn.user, filing_id)
    if any(p.code in ("ocr_unconfirmed", "ocr_conflict") for p in problems):
        return "file:confirm"
    if _owner_unknown(await _filing(turn)):
        return "file:owner"
    missing = await _missing(problems, filing_id)
    if missing:
        data["slot"], data["upcoming"] = missing[0], missing[:6]
        if await _needs_privacy(turn, missing):
            return "file:privacy"
        return "file:photo"
    filing = await _filing(turn)
    for problem in problems:
        spec = spec_of(filing, problem.field or "")
        if spec is not None:
            data["field"] = problem.field
            if problem.code != "required":
                turn.say(turn.error(problem))
            return FIELD_STEPS.get(spec.type, "file:field_text")
        if problem.code == "drivers_required":
            return "file:driver_name"
    if problems:
        turn.say(turn.error(FieldErrors(problems)))
        return None
    return "file:commit"


async def _slots(filing_id: int) -> set[str]:
    from borderpass.models import FilingDocument

    rows = await FilingDocument.filter(filing_id=filing_id).values_list("kind", flat=True)
    return {str(r) for r in rows}


# -- category ------------------------------------------------------------------------------


async def _categories(turn: Turn) -> list[tuple[str, str]]:
    return [(c.value, turn.t(CATEGORY_LABELS[c])) for c in FilingCategory]


async def _ask_category(turn: Turn) -> str:
    return turn.t(T.CHOOSE_CATEGORY)


async def _category(turn: Turn, category: str) -> str | None:
    filing = await filings.create(turn.rt.deps, turn.user, {"category": category})
    turn.state.data = {"filing_id": filing.id}
    turn.say(turn.t(T.DRAFT_STARTED, id=filing.id))
    return await next_step(turn)


async def start(turn: Turn) -> str | None:
    """Continue the user's latest editable draft, or start a new one (``restart``: new)."""
    if not turn.state.data.get("restart"):
        draft = await Filing.filter(applicant_id=turn.user.id, status__in=EDITABLE) \
            .order_by("-id").first()
        if draft is not None:
            turn.state.data = {"filing_id": draft.id}
            turn.say(turn.t(T.DRAFT_STARTED, id=draft.id))
            return await next_step(turn)
    turn.state.data = {}
    return "file:category"


# -- photos and what OCR read ------------------------------------------------------------------


async def _photo(turn: Turn, media_id: str) -> str | None:
    await queue_photo(turn, media_id)
    return KEEP


def _slot_label(turn: Turn, slot: str) -> str:
    kind, _, n = slot.partition("#")
    label = turn.t(field_label(f"documents.{kind}") or kind)
    return turn.t(T.SEND_DRIVER_PHOTO, n=n, label=label) if n else turn.t(T.SEND_PHOTO,
                                                                            label=label)


async def _ask_photo(turn: Turn) -> str:
    data = turn.state.data
    prompt = _slot_label(turn, str(data.get("slot", "")))
    upcoming = [str(s) for s in data.get("upcoming") or []]
    if len(upcoming) > 1:  # several photos may come at once: say the order they are read in
        labels = [turn.t(field_label(f"documents.{s.split('#')[0]}") or s)
                  + (f" #{s.split('#')[1]}" if "#" in s else "") for s in upcoming]
        sep = "、" if turn.locale == "zh_CN" else ", "
        prompt += "\n" + turn.t(T.PHOTO_ORDER, labels=sep.join(labels))
    return prompt


async def _photo_text(turn: Turn, text: str) -> str | None:
    """A text where a photo is asked: "I am the owner" answers the power of attorney
    (R-F2, seed 000: 本人办理车辆备案的，无需提供); "skip" asks who applies, or says why a
    document cannot be skipped. None: not such a text (the user is asked for the photo)."""
    slot = str(turn.state.data.get("slot", ""))
    if slot == "power_of_attorney":  # "没有" / "none" here: maybe the owner files after all
        if words.is_owner_claim(text):
            return await _owner(turn, text)
        if words.is_skip(text):
            return "file:owner"
    if words.is_skip(text) or words.is_owner_claim(text):
        label = turn.t(field_label(f"documents.{slot.split('#')[0]}") or slot)
        turn.say(turn.t(T.DOCUMENT_NEEDED, label=label))
        return "file:photo"
    return None


# -- who applies (R-F2) --------------------------------------------------------------------


async def _ask_owner(turn: Turn) -> str:
    return turn.t(T.ASK_OWNER)


async def _owner(turn: Turn, text: str) -> str | None:
    """'1' / yes / '我就是车主本人' → the owner files for themself; '2' / no → on their behalf."""
    answer = True if words.is_owner_claim(text) else words.yes_no(text)
    if answer is None:
        raise Invalid(turn.t(T.YES_NO))
    await filings.update(turn.rt.deps, turn.user, int(turn.state.data["filing_id"]),
                         {"owner": {"is_applicant": answer}})
    return await next_step(turn)


async def _confirm(turn: Turn, text: str) -> str | None:
    if await confirm_reply(turn, await _filing(turn), text):
        return await next_step(turn)
    return "file:confirm"


async def _ask_confirm(turn: Turn) -> str:
    return await confirm_prompt(turn, await _filing(turn))


# -- fields still missing ------------------------------------------------------------------------


def field_body(filing: Filing, drivers: list[FilingDriver], path: str, value: Any
               ) -> dict[str, Any]:
    """The draft edit that sets one field path (drivers keep their ids and other values)."""
    if path.startswith("drivers["):
        index = int(path[len("drivers["):path.index("]")])
        rows: list[dict[str, Any]] = [{"id": d.id} for d in drivers]
        rows[index][path.rsplit(".", 1)[-1]] = value
        return {"drivers": rows}
    if path == "official_letter_id":
        return {path: value}
    section, _, name = path.rpartition(".")
    return {section: {name: value}}


async def _ask_field(turn: Turn) -> str:
    path = str(turn.state.data.get("field", ""))
    label = turn.t(field_label(path) or path)
    filing = await _filing(turn)
    spec = spec_of(filing, path)
    if spec is not None and spec.type == "date":
        return turn.t(T.ASK_DATE, label=label)
    if spec is not None and spec.type == "bool":
        mark = "？" if turn.locale == "zh_CN" else "?"  # once: "Mortgaged?" not "Mortgaged??"
        return f"{label.rstrip('?？ ')}{mark} {turn.t(T.YES_NO)}"
    if spec is not None and spec.type == "choice":
        return turn.t(T.ASK_CHOICE, label=label)
    return turn.t(T.ASK_FIELD, label=label)


async def _field_options(turn: Turn) -> list[tuple[str, str]]:
    filing = await _filing(turn)
    spec = spec_of(filing, str(turn.state.data.get("field", "")))
    choices = spec.choices if spec is not None else ()
    return [(c, turn.t(T.LICENCE_KINDS[c]) if c in T.LICENCE_KINDS else c) for c in choices]


async def _set_field(turn: Turn, value: Any) -> str | None:
    path = str(turn.state.data["field"])
    filing = await _filing(turn)
    spec = spec_of(filing, path)
    if spec is not None and spec.type == "int":
        if not str(value).isdigit():
            raise FieldError("type_int", path)
        value = int(value)
    drivers = await FilingDriver.filter(filing=filing).order_by("position")
    await filings.update(turn.rt.deps, turn.user, filing.id,
                         field_body(filing, drivers, path, value))
    return await next_step(turn)


async def _driver_name(turn: Turn, name: str) -> str | None:
    filing = await _filing(turn)
    await filings.update(turn.rt.deps, turn.user, filing.id, {"drivers": [{"name": name}]})
    return await next_step(turn)


async def _ask_driver_name(turn: Turn) -> str:
    return turn.t(T.ASK_DRIVER_NAME)


# -- the privacy notice: separate consent before identity documents (R-D1) ---------------


async def _needs_privacy(turn: Turn, missing: list[str]) -> bool:
    """An identity document is still due and the user has not consented to the current
    notice: asked before any photo, since photos come in bursts (R-D1)."""
    return any(s.split("#")[0] in privacy.SENSITIVE_KINDS for s in missing) and \
        await privacy.current_consent(turn.user) is None


async def _ask_privacy(turn: Turn) -> str:
    """Show the notice and remember exactly which text (version, locale, hash)."""
    shown = privacy.notice(turn.locale)
    turn.state.data["privacy"] = commitments.consent_of(shown)
    return turn.t(T.PRIVACY_NOTICE, text=T.chat_text(shown.text))


async def _privacy(turn: Turn, agreed: bool) -> str | None:
    """Store the consent to the text shown (channel chat); a refusal keeps the draft."""
    if not agreed:
        turn.say(turn.t(T.PRIVACY_DECLINED))
        return None
    shown = turn.state.data.get("privacy") or commitments.consent_of(privacy.notice(turn.locale))
    try:
        text = privacy.check_payload(shown)
    except FieldError as exc:  # a new version since it was shown: show the new one
        turn.say(turn.error(exc))
        return "file:privacy"
    await privacy.give(turn.user, text, commitments.CHAT)
    turn.say(turn.t(T.PRIVACY_AGREED))
    return await next_step(turn)


# -- consent and submission --------------------------------------------------------------------


async def _ask_commit(turn: Turn) -> str:
    """Show the filing commitment and remember exactly which text (version, locale, hash)."""
    shown = commitments.current(commitments.FILING, turn.locale)
    turn.state.data["commitment"] = commitments.consent_of(shown)
    return turn.t(T.COMMITMENT, text=T.chat_text(shown.text))  # consent: the source text


async def _commit(turn: Turn, agreed: bool) -> str | None:
    """Submit with the consent to the text shown, stored as the mini-program stores it."""
    if not agreed:
        turn.say(turn.t(T.CANCELLED))
        return None
    # A text shown before a new version was published fails check_consent (outdated) and
    # is shown again in its new wording, so the stored hash is always of words the user read.
    consent = turn.state.data.get("commitment") or \
        commitments.consent_of(commitments.current(commitments.FILING, turn.locale))
    filing = await filings.submit(turn.rt.deps, turn.user, int(turn.state.data["filing_id"]),
                                  commitment=consent, channel=commitments.CHAT)
    turn.say(turn.t(T.SUBMITTED, plate=filing.plate_number or ""))
    return None


def _field_step(name: str, expects: Expect, with_options: bool = False) -> Step:
    return Step(name, expects, _ask_field, _set_field, _field_options if with_options else None,
                on_image=_photo)


register(Flow("file", start, {s.name: s for s in (
    Step("file:category", Expect.CHOICE, _ask_category, _category, _categories),
    Step("file:owner", Expect.TEXT, _ask_owner, _owner),
    Step("file:photo", Expect.IMAGE, _ask_photo, _photo, on_image=_photo, on_text=_photo_text),
    Step("file:confirm", Expect.TEXT, _ask_confirm, _confirm, on_image=_photo),
    _field_step("file:field_text", Expect.TEXT),
    _field_step("file:field_date", Expect.DATE),
    _field_step("file:field_bool", Expect.CONFIRM),
    _field_step("file:field_choice", Expect.CHOICE, with_options=True),
    Step("file:driver_name", Expect.TEXT, _ask_driver_name, _driver_name, on_image=_photo),
    Step("file:privacy", Expect.CONFIRM, _ask_privacy, _privacy),
    Step("file:commit", Expect.CONFIRM, _ask_commit, _commit),
)}))
