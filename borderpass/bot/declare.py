"""Declaring an exit or entry by chat — 申报 (R-F7, R-F8), and "my pass" — 通行码."""

from __future__ import annotations

import asyncio
import io
import logging

import qrcode

from borderpass.adapters.wechat import WeChatError
from borderpass.bot import texts as T
from borderpass.bot import words
from borderpass.bot.engine import INSTANT, Expect, Flow, Invalid, Step, Turn, register
from borderpass.core.errors import BorderPassError
from borderpass.core.i18n import LOCALES
from borderpass.models import Declaration, Filing, FilingDriver
from borderpass.models.enums import DeclarationStatus, Direction
from borderpass.services import clock
from borderpass.services.crossings import declarations, land_ports, passes
from borderpass.services.filings import filing_validity
from borderpass.services.notify.texts import PASS_PAGE

log = logging.getLogger("borderpass.bot")


async def _approved(turn: Turn) -> list[Filing]:
    """The user's filings a crossing may be declared on: the service's rule (R-F7)."""
    return await filing_validity.declarable(turn.user.id, clock.now())


async def start(turn: Turn) -> str | None:
    """Pre-select the vehicle, direction, port and driver from the user's filings and history;
    ask only where there is a real choice, then one confirmation (≤ 3 messages, issue #18)."""
    approved = await _approved(turn)
    if not approved:
        turn.say(turn.t(T.NO_APPROVED))
        return None
    if len(approved) == 1:
        turn.state.data = {"filing_id": approved[0].id}
        return await _fill(turn)
    return "declare:vehicle"


async def _fill(turn: Turn) -> str:
    """The first choice still open, after taking every default the records give: direction
    from the open trip (R-F7: an exit leaves a trip open until the entry), port and driver
    from the vehicle's last declaration, the only driver, or the driver who is this user."""
    data = turn.state.data
    filing_id = int(data["filing_id"])
    if "direction" not in data:
        abroad = await declarations.is_abroad(filing_id)  # per the gate's record
        data["direction"] = (Direction.ENTRY if abroad else Direction.EXIT).value
    last = await Declaration.filter(filing_id=filing_id) \
        .exclude(status=DeclarationStatus.CANCELLED).order_by("-id").first()
    if "port" not in data and last is not None:
        port = (await land_ports.CACHE.get()).find(last.port)
        if port is not None and port.active:  # a port closed since is not offered again
            data["port"] = port.code
    if "driver_id" not in data:
        drivers = await FilingDriver.filter(filing_id=filing_id).order_by("position")
        ids = {d.id for d in drivers}
        mine = [d for d in drivers if d.user_id == turn.user.id]  # type: ignore[attr-defined]
        if len(drivers) == 1:
            data["driver_id"] = drivers[0].id
        elif last is not None and last.driver_id in ids:  # type: ignore[attr-defined]
            data["driver_id"] = last.driver_id  # type: ignore[attr-defined]
        elif len(mine) == 1:
            data["driver_id"] = mine[0].id
    if "port" not in data:
        return "declare:port"
    if "driver_id" not in data:
        return "declare:driver"
    return "declare:confirm"


async def _vehicles(turn: Turn) -> list[tuple[str, str]]:
    return [(str(f.id), f.plate_number or str(f.id)) for f in await _approved(turn)]


async def _drivers(turn: Turn) -> list[tuple[str, str]]:
    rows = await FilingDriver.filter(filing_id=int(turn.state.data["filing_id"])) \
        .order_by("position")
    return [(str(d.id), d.name or str(d.id)) for d in rows]


async def _ports(turn: Turn) -> list[tuple[str, str]]:
    """The active ports of the table, named in the reader's language (issue 26)."""
    return [(p.code, p.name(turn.locale)) for p in await land_ports.active_ports()]


def _asker(source: str) -> object:
    async def ask(turn: Turn) -> str:
        return turn.t(source)
    return ask


async def _vehicle(turn: Turn, filing_id: str) -> str:
    turn.state.data["filing_id"] = int(filing_id)
    return await _fill(turn)


async def _port(turn: Turn, port: str) -> str:
    turn.state.data["port"] = port
    return await _fill(turn)


async def _driver(turn: Turn, driver_id: str) -> str:
    turn.state.data["driver_id"] = int(driver_id)
    return await _fill(turn)


async def _port_named(text: str) -> str | None:
    """An active port by its code, alias or any of its names ('畹町', 'wanding')."""
    word = words.norm(text)
    for port in await land_ports.active_ports():
        if word in {port.code, *port.aliases, *(words.norm(n) for n in port.names.values())}:
            return port.code
    return None


def _direction_named(text: str) -> str | None:
    """'出境' / 'exit' / its Burmese word, in any catalog."""
    word = words.norm(text)
    for value, source in T.DIRECTIONS.items():
        if word in {value, *(words.norm(T.t(source, loc)) for loc in LOCALES)}:
            return value
    return None


async def _ask_confirm(turn: Turn) -> str:
    data = turn.state.data
    filing = await Filing.get(id=int(data["filing_id"]))
    driver = await FilingDriver.get(id=int(data["driver_id"]))
    others = [p for p in await land_ports.active_ports() if p.code != data["port"]]
    asked = turn.t(T.CONFIRM_DECLARATION, plate=filing.plate_number or "",
                   direction=turn.t(T.DIRECTIONS[data["direction"]]),
                   port=T.port_name(data["port"], turn.locale), driver=driver.name)
    if not others:  # one port open: nothing to change to
        return asked
    return asked + "\n" + turn.t(T.CHANGE_PORT, example=others[0].name(turn.locale))


async def _confirm(turn: Turn, text: str) -> str | None:
    """Yes submits, no cancels; a port's or a direction's name changes it and asks again."""
    if (port := await _port_named(text)) is not None:
        turn.state.data["port"] = port
        return "declare:confirm"
    if (direction := _direction_named(text)) is not None:
        turn.state.data["direction"] = direction
        return "declare:confirm"
    yes = words.yes_no(text)
    if yes is None:
        raise Invalid(turn.t(T.YES_NO))
    if not yes:
        turn.say(turn.t(T.CANCELLED))
        return None
    data = turn.state.data
    try:
        declaration = await declarations.create(turn.rt.deps, turn.user, {
            "filing_id": int(data["filing_id"]), "driver_id": int(data["driver_id"]),
            "direction": data["direction"], "port": data["port"]})
    except BorderPassError as exc:
        turn.say(turn.error(exc))
        return None
    turn.say(turn.t(T.DECLARED, id=declaration.id))
    if declaration.direction is Direction.EXIT:  # R-F8: counted from the real exit
        turn.say(turn.t(T.DEADLINE_FROM_EXIT))
    return None


register(Flow("declare", start, {s.name: s for s in (
    Step("declare:vehicle", Expect.CHOICE, _asker(T.CHOOSE_VEHICLE), _vehicle,  # type: ignore[arg-type]
         _vehicles),
    Step("declare:port", Expect.CHOICE, _asker(T.CHOOSE_PORT), _port, _ports),  # type: ignore[arg-type]
    Step("declare:driver", Expect.CHOICE, _asker(T.CHOOSE_DRIVER), _driver, _drivers),  # type: ignore[arg-type]
    Step("declare:confirm", Expect.TEXT, _ask_confirm, _confirm),
)}))


# -- my pass ---------------------------------------------------------------------------------


def _png(text: str) -> bytes:
    out = io.BytesIO()
    qrcode.make(text, box_size=8, border=2).save(out)
    return out.getvalue()


def _link(turn: Turn, declaration_id: int) -> str:
    settings = turn.rt.settings
    label = turn.t(T.OPEN_MINIAPP)
    if not settings.miniapp_appid:
        return label
    path = PASS_PAGE.format(id=declaration_id)
    href = settings.public_url or "https://mp.weixin.qq.com"
    return (f'<a data-miniprogram-appid="{settings.miniapp_appid}" '
            f'data-miniprogram-path="{path}" href="{href}">{label}</a>')


async def my_pass(turn: Turn) -> None:
    """An image of the pass's current QR (R-G1 rotating code) and a link to the mini-program."""
    own = await declarations.list_own(turn.user)
    current = next((d for d in own if d.status is DeclarationStatus.APPROVED), None)
    if current is None:
        turn.say(turn.t(T.NO_PASS))
        return
    await current.fetch_related("filing")
    direction = turn.t(T.DIRECTIONS[current.direction.value])
    try:
        qr_text = await passes.current_qr(turn.rt.gate, turn.user, current.id)
    except BorderPassError as exc:
        turn.say(turn.error(exc))
        return
    link = _link(turn, current.id)
    try:
        media_id = await turn.rt.client.upload_image(await asyncio.to_thread(_png, qr_text))
    except WeChatError as exc:
        log.warning("pass image upload failed: %s", exc)
        turn.say(turn.t(T.PASS_AS_TEXT, id=current.id, plate=current.filing.plate_number or "",
                        direction=direction, port=T.port_name(current.port, turn.locale),
                        link=link))
        return
    turn.image = media_id
    turn.say(turn.t(T.PASS_CAPTION, plate=current.filing.plate_number or "",
                    direction=direction, link=link))


INSTANT["pass"] = my_pass
