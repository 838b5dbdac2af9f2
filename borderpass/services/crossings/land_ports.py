"""Land ports (口岸) as data: the ports table, read through an in-process cache.

Ports change rarely (an operator adds or deactivates one with ``borderpass ports``), and
every declaration, lane registration and answer that names a port needs them, so each
process keeps the table in memory instead of asking the database (or Redis) each time.

Invalidation: a change made in this process drops the copy at once; a change made by
another process (the CLI, another server) is seen within ``CACHE_TTL`` seconds, and a code
the copy does not know makes it re-read the table first (at most once per
``MISS_REFRESH`` seconds, so hostile input cannot turn into a query per request): a port
just added is usable at once everywhere, a port just deactivated is refused everywhere
within ``CACHE_TTL``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from borderpass.core.errors import Conflict, FieldError, FieldErrors, NotFound
from borderpass.models import Port

CACHE_TTL = 15.0  # seconds a process trusts its copy of the ports table
MISS_REFRESH = 1.0  # at most one re-read per second for codes the copy does not know
CODE_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
COUNTRIES_RE = re.compile(r"^[A-Z]{2}-[A-Z]{2}$")
# The ports the migration seeds (0012_ports_and_letter_scope): code, 中文, Burmese, English,
# aliases. The Burmese names await a native reviewer (locales/REVIEW.md).
SEED: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("yonghe", "永和", "ယုံဟော်", "Yonghe", ()),
    ("qingshuihe", "清水河", "ချင်းရွှေဟော်", "Qingshuihe", ("mengding",)),
    ("ruili", "瑞丽", "ရွှေလီ", "Ruili", ()),
    ("wanding", "畹町", "ဝမ်တင်", "Wanding", ()),
    ("zhangfeng", "章凤", "ကျန်းဖုန်", "Zhangfeng", ()),
    ("houqiao", "猴桥", "ဟိုချောင်", "Houqiao", ()),
    ("nansan", "南伞", "နမ့်ဆန်", "Nansan", ()),
    ("menglian", "孟连", "မိန်းလျန်", "Menglian", ()),
    ("daluo", "打洛", "တာလော်", "Daluo", ()),
)


@dataclass(frozen=True)
class PortInfo:
    """One port as the cache holds it."""

    code: str
    names: dict[str, str]  # locale → name: zh_CN, my, en
    countries: str
    active: bool
    aliases: tuple[str, ...] = ()

    def name(self, locale: str) -> str:
        """The port's name in the reader's script (Burmese readers read Burmese, issue #18)."""
        return self.names.get(locale) or self.names["en"]


def _info(row: Port) -> PortInfo:
    return PortInfo(row.code, {"zh_CN": row.name_zh, "my": row.name_my, "en": row.name_en},
                    row.countries, row.active, tuple(row.aliases or ()))


SEED_INFO = {code: PortInfo(code, {"zh_CN": zh, "my": my, "en": en}, "CN-MM", True, aliases)
             for code, zh, my, en, aliases in SEED}


class Snapshot:
    """The ports table at one moment: lookups by code or alias, without I/O."""

    def __init__(self, ports: list[PortInfo]) -> None:
        self.by_code = {p.code: p for p in ports}
        self.alias = {a: p.code for p in ports for a in p.aliases}

    def find(self, code: object) -> PortInfo | None:
        """The port named by ``code`` or one of its aliases, active or not."""
        if not isinstance(code, str):
            return None
        return self.by_code.get(self.alias.get(code, code))

    def active(self) -> list[PortInfo]:
        """The ports open for declarations, in the table's order."""
        return [p for p in self.by_code.values() if p.active]


class PortCache:
    """The process's copy of the ports table (see the module's docstring)."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._read_at = 0.0

    async def get(self, wanted: object = None) -> Snapshot:
        """The ports; re-read when stale, or when ``wanted`` is a code the copy lacks."""
        now = time.monotonic()
        snap = self._snapshot
        stale = snap is None or now - self._read_at >= CACHE_TTL
        missing = (snap is not None and isinstance(wanted, str) and snap.find(wanted) is None
                   and CODE_RE.match(wanted) is not None and now - self._read_at >= MISS_REFRESH)
        if stale or missing:
            snap = Snapshot([_info(row) for row in await Port.all().order_by("id")])
            self._snapshot, self._read_at = snap, time.monotonic()
        assert snap is not None
        return snap

    def latest(self) -> Snapshot | None:
        """The copy as it is, without I/O (for synchronous renderers); None before a read."""
        return self._snapshot

    def forget(self) -> None:
        """Drop the copy: the next read goes to the database."""
        self._snapshot, self._read_at = None, 0.0


CACHE = PortCache()


def _choices(snap: Snapshot) -> str:
    return ", ".join(p.code for p in snap.active())


async def active_code(value: object, field: str = "port") -> str:
    """The code of the active port ``value`` names (an alias gives its port's code), or a
    ``choice`` error listing the active ports."""
    snap = await CACHE.get(value)
    port = snap.find(value)
    if port is None or not port.active:
        raise FieldError("choice", field, choices=_choices(snap))
    return port.code


async def active_ports() -> list[PortInfo]:
    """The ports open for declarations (the mini-program's and the bot's choice)."""
    return (await CACHE.get()).active()


async def all_ports() -> list[PortInfo]:
    """Every port, active or not (operators' listing)."""
    return list((await CACHE.get()).by_code.values())


def known(code: str) -> bool:
    """True when ``code`` (or an alias) names a port of this process's copy, else of the
    seed; no I/O, for synchronous renderers."""
    snap = CACHE.latest()
    if snap is not None and snap.find(code) is not None:
        return True
    return code in SEED_INFO or any(code in p.aliases for p in SEED_INFO.values())


def label(code: str, locale: str) -> str:
    """A port's name for synchronous renderers (messages, bot texts), from this process's
    latest copy of the table, else the seed; an unknown code is shown as it is."""
    snap = CACHE.latest()
    port = snap.find(code) if snap is not None else None
    if port is None:
        port = SEED_INFO.get(code) or next(
            (p for p in SEED_INFO.values() if code in p.aliases), None)
    return port.name(locale) if port is not None else code


def canonical(code: str) -> str:
    """The port code ``code`` stands for (an alias gives its port's code); no I/O, for the
    lane's hot path (a pass signed with ``mengding`` matches Qingshuihe's lanes)."""
    snap = CACHE.latest()
    if snap is not None and code in snap.alias:
        return snap.alias[code]
    return next((p.code for p in SEED_INFO.values() if code in p.aliases), code)


def _text(body: dict[str, Any], name: str, limit: int, errors: list[FieldError]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError("required", name))
        return ""
    if len(value.strip()) > limit:
        errors.append(FieldError("length", name, max=limit))
    return value.strip()


async def add(body: dict[str, Any]) -> PortInfo:
    """Add a port (``borderpass ports add``): code, names in zh/my/en, country pair."""
    errors: list[FieldError] = []
    code = body.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        errors.append(FieldError("port_code_format", "code"))
    names = {"zh_CN": _text(body, "name_zh", 40, errors),
             "my": _text(body, "name_my", 80, errors), "en": _text(body, "name_en", 60, errors)}
    countries = body.get("countries") or "CN-MM"
    if not isinstance(countries, str) or not COUNTRIES_RE.match(countries):
        errors.append(FieldError("port_countries_format", "countries"))
    if errors:
        raise FieldErrors(errors)
    CACHE.forget()
    if (await CACHE.get()).find(code) is not None:
        raise Conflict("port_exists", "code")
    try:
        row = await Port.create(code=code, name_zh=names["zh_CN"], name_my=names["my"],
                                name_en=names["en"], countries=countries)
    except IntegrityError as exc:  # added concurrently by another operator
        raise Conflict("port_exists", "code") from exc
    finally:
        CACHE.forget()
    return _info(row)


async def set_active(code: str, active: bool) -> PortInfo:
    """Deactivate (or reactivate) a port: no new declaration or lane names it; what it
    already holds (lanes, passes, the record) is kept."""
    port = (await CACHE.get(code)).find(code)
    if port is None:
        raise NotFound("port_not_found", "code")
    await Port.filter(code=port.code).update(active=active)
    CACHE.forget()
    found = (await CACHE.get()).find(port.code)
    assert found is not None
    return found


async def set_check_rate(code: str, percent: object) -> int:
    """Set the share (%) of the port's second-line passages picked for a random check
    (R-G8); read by every second-line scan, so it applies from the next one."""
    if isinstance(percent, str) and percent.strip().isdigit():
        percent = int(percent)
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise FieldError("percent", "percent")
    port = (await CACHE.get(code)).find(code)
    if port is None:
        raise NotFound("port_not_found", "code")
    await Port.filter(code=port.code).update(second_line_check_pct=percent)
    return percent


async def lanes_by_port() -> dict[str, int]:
    """How many lanes each port has (``gate_lanes.port``), for the operators' listing."""
    from borderpass.models.gate import Lane

    counts: dict[str, int] = {}
    for port in await Lane.all().values_list("port", flat=True):
        key = canonical(str(port))
        counts[key] = counts.get(key, 0) + 1
    return counts
