"""``borderpass bench-seed``: fill a dedicated PostgreSQL database with years of a busy port
(issue 22), by COPY, so the benchmarks and the migrations can be tried at volume.

At ``--scale 1`` (the issue's "100×"): 1 M drivers (users), filings and filing drivers,
10 M declarations each with its pass, 9 M crossings, 5 M trips of which 1 M open (one per
vehicle) and 10,000 with a reminder due in the minute before the seed's reference time,
30 M duty-ledger rows over five years in monthly partitions, 2 M audit events in a valid
hash chain. Other scales multiply every count.

Consistent with the schema and its rules: every filing approved and in force with its own
VIN (one live filing per vehicle, R-F1), every vehicle with one open trip (one per VIN,
R-F8) and a history of closed ones, each declaration's crossings in time order, every pass
and every sealed field (owner and driver identity numbers, licences, permits, phones, pass
secrets) sealed with the real cipher under the configured data key, blind indexes with the
real index key: the app reads them as its own. Not real: pass credentials are not signed
(a lane refuses them: benchmarks issue their own passes), and no documents are stored.

The reference time ``NOW`` is the seed's start to the minute; the trips' reminder sweep mark
is one minute before it, so the first sweep at ``NOW`` finds exactly the due reminders
(``bench/notify.py --existing`` reads it). Refuses a database already holding users.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from borderpass.core.crypto import FieldCipher

YEARS = 5
INTERVAL = timedelta(minutes=1)  # the sweep interval the due reminders fell into
PER_FILING = 10  # declarations per vehicle: exit/entry pairs, the last exit still abroad
LEDGER_PER_FILING = 30
AUDIT_PER_FILING = 2
DUE_PER_FILING = 0.01  # 10,000 due reminders per 1 M open trips
LANES = 10
_PLATE = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"  # no I, O
LOCALES = ("zh_CN", "my", "en")
SIDE = ("ledger", "audit")  # loaded on a second connection, beside the others


@dataclass(frozen=True)
class Counts:
    """How many of each the seed makes (``filings`` vehicles, drivers, users)."""

    filings: int
    declarations: int
    ledger: int
    audit: int
    due: int

    @classmethod
    def at(cls, scale: float) -> Counts:
        filings = max(10, round(1_000_000 * scale))
        return cls(filings, filings * PER_FILING, filings * LEDGER_PER_FILING,
                   filings * AUDIT_PER_FILING, max(5, round(filings * DUE_PER_FILING)))


def plate(n: int) -> str:
    """A plate of 云N and five characters, distinct for each ``n`` below 34⁵."""
    chars = []
    for _ in range(5):
        n, r = divmod(n, len(_PLATE))
        chars.append(_PLATE[r])
    return "云N" + "".join(reversed(chars))


def vin(n: int) -> str:
    from borderpass.services.validators import make_vin

    return make_vin(f"LSVAM4{n:010d}")


def id_number(n: int) -> str:
    from borderpass.services.validators import make_id_number

    born = date(1960, 1, 1) + timedelta(days=n % 15_000)
    return make_id_number("533102", born, n % 1000)


class Seed:
    """One seeding run over an asyncpg connection, ``cipher`` the app's own."""

    def __init__(self, conn: Any, connect: Callable[[], Awaitable[Any]], cipher: FieldCipher,
                 counts: Counts, now: datetime, report: Callable[[str], None] = print) -> None:
        self.conn, self.connect, self.cipher, self.c, self.now = (conn, connect, cipher,
                                                                  counts, now)
        self.start = now - timedelta(days=YEARS * 365)
        self.history_end = now - timedelta(days=45)
        self.report = report
        self.rng = random.Random(22)
        n = counts.filings
        self.vins = [""] + [vin(f) for f in range(1, n + 1)]
        self.plates = [""] + [plate(f) for f in range(1, n + 1)]
        self.audit_after, self.audit_head = 0, ""  # the chain continues any rows present
        self.exited = [now - timedelta(days=1 + 20 * self.rng.random()) for _ in range(n)]
        self.deadlines = self._deadlines()

    # -- times -------------------------------------------------------------------------------

    def _history_at(self, index: int) -> datetime:
        """The time of history declaration ``index`` (0 … filings·(PER_FILING-2)-1)."""
        total = self.c.filings * (PER_FILING - 2)
        return self.start + (self.history_end - self.start) * (index / total)

    def _deadlines(self) -> list[datetime]:
        """Each open trip's deadline: ``due`` of them with a reminder due in
        (NOW - INTERVAL, NOW], the rest with none due then (as ``bench/notify.py``)."""
        from borderpass.services.notify import kinds

        leads = [lead for _, lead in kinds.TRIP_STAGES]
        windows = [(self.now - INTERVAL + lead, self.now + lead) for lead in leads]
        out = [self.now + leads[i % len(leads)] - INTERVAL * self.rng.random()
               for i in range(self.c.due)]
        while len(out) < self.c.filings:
            deadline = self.now + timedelta(hours=1) + timedelta(days=89) * self.rng.random()
            if not any(low < deadline <= high for low, high in windows):
                out.append(deadline)
        self.rng.shuffle(out)
        return out

    # -- rows ----------------------------------------------------------------------------------

    def users(self) -> Iterator[tuple[Any, ...]]:
        for f in range(1, self.c.filings + 1):
            yield (f, f"o-seed-{f}", f"driver {f}", LOCALES[f % 3], '["driver"]', True,
                   self.start + (self.now - self.start) * (f / self.c.filings) / 2, "{}")

    def filings(self) -> Iterator[tuple[Any, ...]]:
        enc, index = self.cipher.encrypt, self.cipher.blind_index
        for f in range(1, self.c.filings + 1):
            ident, p, v = id_number(f), self.plates[f], self.vins[f]
            approved = self.now - timedelta(days=300 * ((f * 7919) % 1000) / 1000 + 1)
            data = {"vehicle": {"plate_number": p, "vin": v, "vehicle_type": "小型轿车",
                                "model": "大众牌SVW7", "owner_name": f"车主{f}",
                                "register_date": "2019-05-01", "licence_kind": "paper",
                                "mortgaged": False},
                    "owner": {"id_number": True, "is_applicant": True}}
            sealed = {"owner.id_number": enc(ident, "owner.id_number")}
            yield (f, "personal", "approved", p, v, json.dumps(data, ensure_ascii=False),
                   json.dumps(sealed), index(ident, "id_number"), approved - timedelta(days=2),
                   approved, approved + timedelta(days=365), "[]", "", approved,
                   approved, f)

    def drivers(self) -> Iterator[tuple[Any, ...]]:
        enc, index = self.cipher.encrypt, self.cipher.blind_index
        for f in range(1, self.c.filings + 1):
            ident, phone = id_number(f), f"138{f:08d}"
            sealed = {"id_number": enc(ident, "driver.id_number"),
                      "licence_number": enc(ident, "driver.licence_number"),
                      "permit_number": enc(f"C{f:08d}", "driver.permit_number"),
                      "phone": enc(phone, "driver.phone")}
            yield (f, 0, f"司机{f}", "", True, json.dumps(sealed), index(ident, "id_number"),
                   f, f, index(phone, "phone"))

    def _declaration(self, r: int, f: int) -> tuple[int, str, datetime, str]:
        """(id, direction, time, status) of filing ``f``'s declaration of round ``r``."""
        n = self.c.filings
        ident = r * n + f
        direction = "exit" if r % 2 == 0 else "entry"
        if r < PER_FILING - 2:
            return ident, direction, self._history_at(r * n + f - 1), "used"
        if r == PER_FILING - 2:  # the exit of the open trip
            return ident, direction, self.exited[f - 1], "used"
        return ident, direction, self.deadlines[f - 1] - timedelta(days=1), "approved"

    def _all_declarations(self) -> Iterator[tuple[int, int, str, datetime, str]]:
        for r in range(PER_FILING):
            for f in range(1, self.c.filings + 1):
                yield (f, *self._declaration(r, f))

    def declarations(self) -> Iterator[tuple[Any, ...]]:
        for f, ident, direction, at, status in self._all_declarations():
            created = at - timedelta(hours=2) if status == "used" else self.now - timedelta(
                hours=1)
            yield (ident, direction, "ruili", at, status, created, f, f, f)

    def passes(self) -> Iterator[tuple[Any, ...]]:
        enc = self.cipher.encrypt
        for _, ident, _, at, _ in self._all_declarations():
            secret = base64.b64encode(self.rng.randbytes(16)).decode()
            yield (ident, "seed0001", f"unsigned-seed-credential-{ident}",
                   enc(secret, f"gate.pass_secret:{ident}"), at - timedelta(hours=12),
                   at + timedelta(hours=36), "", at - timedelta(hours=2), ident)

    def crossings(self) -> Iterator[tuple[Any, ...]]:
        for f, ident, direction, at, status in self._all_declarations():
            if status != "used":
                continue
            lane = f"ruili-{'out' if direction == 'exit' else 'in'}-{ident % LANES}"
            yield (ident, ident, direction, "pass", lane, "ruili", self.plates[f], f,
                   f"seed-{ident}", at)

    def trips(self) -> Iterator[tuple[Any, ...]]:
        n, t = self.c.filings, 0
        for pair in range((PER_FILING - 2) // 2):
            for f in range(1, n + 1):
                out_id, _, out_at, _ = self._declaration(2 * pair, f)
                in_id, _, in_at, _ = self._declaration(2 * pair + 1, f)
                t += 1
                yield (t, "closed", out_at, out_at + timedelta(days=30), in_at, in_id,
                       out_id, f, self.vins[f], out_id, in_id)
        for f in range(1, n + 1):
            out_id, _, out_at, _ = self._declaration(PER_FILING - 2, f)
            t += 1
            yield (t, "open", out_at, self.deadlines[f - 1], None, None, out_id, f, self.vins[f],
                   out_id, None)

    def ledger(self) -> Iterator[tuple[Any, ...]]:
        total, span = self.c.ledger, self.now - self.start
        step, at = span / (total + 1), self.start
        kinds = ("ack", "scan", "command")  # g % 3 == 1: the scan, naming its declaration
        lanes = [f"ruili-out-{k}" for k in range(LANES)]
        plates = [plate(k) for k in range(997)]
        for g in range(1, total + 1):
            at += step
            scan = g % 3 == 1
            yield (g, at, lanes[g % LANES], kinds[g % 3], f"e{g}",
                   (g // 3) % self.c.declarations + 1 if scan else None, plates[g % 997],
                   "open" if scan else "", "", "", False, "{}")

    def audit(self) -> Iterator[tuple[Any, ...]]:
        from borderpass.services.audit import GENESIS

        prev, total, span = self.audit_head or GENESIS, self.c.audit, self.now - self.start
        for g in range(self.audit_after + 1, self.audit_after + total + 1):
            at = self.start + span * ((g - self.audit_after) / (total + 1))
            subject = (g % self.c.filings) + 1
            body: dict[str, Any] = {
                "actor_id": None, "action": "filing_reveal", "subject_type": "filing",
                "subject_id": subject, "field_names": ["owner.id_number"], "detail": {},
                    "at": at.isoformat(timespec="microseconds"), "prev_hash": prev}
            digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False,
                                               separators=(",", ":")).encode()).hexdigest()
            yield (g, "filing_reveal", "filing", subject, '["owner.id_number"]', "{}", at,
                   None, prev, digest)
            prev = digest

    # -- loading -------------------------------------------------------------------------------

    TABLES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
        ("users", "users", ("id", "openid", "display_name", "locale", "roles", "is_active",
                            "created_at", "sealed")),
        ("filings", "filings", ("id", "category", "status", "plate_number", "vin", "data",
                                "sealed", "owner_key", "submitted_at", "approved_at",
                                "expires_at", "return_reasons", "revoked_reason", "created_at",
                                "updated_at", "applicant_id")),
        ("drivers", "filing_drivers", ("id", "position", "name", "phone", "is_owner", "sealed",
                                       "id_key", "filing_id", "user_id", "phone_key")),
        ("declarations", "declarations", ("id", "direction", "port", "planned_at", "status",
                                          "created_at", "declared_by_id", "driver_id",
                                          "filing_id")),
        ("passes", "gate_passes", ("id", "kid", "credential", "secret_sealed", "valid_from",
                                   "valid_until", "revoked_reason", "created_at",
                                   "declaration_id")),
        ("crossings", "gate_crossings", ("id", "declaration_id", "direction", "kind",
                                         "lane_code", "port", "plate", "filing_id",
                                         "event_id", "at")),
        ("trips", "trips", ("id", "status", "exited_at", "deadline", "returned_at",
                            "entry_declaration_id", "exit_declaration_id", "filing_id", "vin",
                            "exit_crossing_id", "entry_crossing_id")),
        ("ledger", "gate_ledger", ("id", "at", "lane_code", "kind", "event_id",
                                   "declaration_id", "plate", "outcome", "reason", "actor",
                                   "flagged", "detail")),
        ("audit", "audit_events", ("id", "action", "subject_type", "subject_id",
                                   "field_names", "detail", "at", "actor_id", "prev_hash",
                                   "row_hash")),
    )

    async def run(self) -> dict[str, float]:
        """Load every table (COPY), move the sequences past the ids, set the sweep mark,
        VACUUM ANALYZE; seconds per step."""
        if await self.conn.fetchval("SELECT count(*) FROM users"):
            raise SystemExit("bench-seed: this database already holds users; give an empty "
                             "migrated one (bench-seed fills only a database of its own)")
        times: dict[str, float] = {}
        await self._ledger_months()
        await self.chain_head()
        # as pg_restore --disable-triggers: no per-row foreign-key trigger while loading
        # (the rows are consistent by construction; tests/core/test_bench_seed.py checks)
        await self.conn.execute("SET session_replication_role = replica")
        side = await self.connect()  # the ledger and audit trail load beside the rest
        try:
            await side.execute("SET session_replication_role = replica")
            tables = {t[0]: t for t in self.TABLES}
            await asyncio.gather(
                self._load(self.conn, [tables[k] for k in tables if k not in SIDE], times),
                self._load(side, [tables[k] for k in SIDE], times))
        finally:
            await side.close()
        await self.conn.execute("SET session_replication_role = DEFAULT")
        await self.conn.execute(
            "INSERT INTO notify_sweep_marks (name, swept_until) VALUES ('trips', $1) "
            "ON CONFLICT (name) DO UPDATE SET swept_until = EXCLUDED.swept_until",
            self.now - INTERVAL)
        started = time.perf_counter()
        await self.conn.execute("VACUUM (ANALYZE)")
        times["vacuum_analyze"] = time.perf_counter() - started
        self.report(f"  VACUUM ANALYZE: {times['vacuum_analyze']:.1f} s")
        return times

    async def chain_head(self) -> None:
        """Continue the audit chain after any rows already there (e.g. written by the app
        while the seed ran): they keep their place, the seeded rows link to their head."""
        row = await self.conn.fetchrow(
            "SELECT id, row_hash FROM audit_events ORDER BY id DESC LIMIT 1")
        if row is not None:
            self.audit_after, self.audit_head = row["id"], row["row_hash"]

    async def _load(self, conn: Any, tables: list[tuple[str, str, tuple[str, ...]]],
                    times: dict[str, float]) -> None:
        for name, table, columns in tables:
            started = time.perf_counter()
            await conn.copy_records_to_table(table, records=getattr(self, name)(),
                                             columns=list(columns))
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"(SELECT max(id) FROM {table}))")
            times[table] = time.perf_counter() - started
            self.report(f"  {table}: {times[table]:.1f} s")

    async def _ledger_months(self) -> None:
        """A database partitioned from its first day: the empty legacy partition of the
        migration gives way to one partition per month of the seeded years."""
        from borderpass.services.gate.ledger_partitions import create_sql, month_start

        if await self.conn.fetchval("SELECT relkind::text AS relkind FROM pg_class WHERE oid = "
                                    "'gate_ledger'::regclass") != "p":
            return  # before gate migration 0008: one plain table (the migration test)
        if await self.conn.fetchval("SELECT to_regclass('gate_ledger_legacy')") is not None:
            if await self.conn.fetchval("SELECT count(*) FROM gate_ledger_legacy"):
                raise SystemExit("bench-seed: the ledger already holds rows")
            await self.conn.execute("DROP TABLE gate_ledger_legacy")
        month = month_start(self.start)
        while month <= month_start(self.now, 3):
            await self.conn.execute(create_sql(month))
            month = month_start(month, 1)


async def seed(url: str, cipher: FieldCipher, scale: float,
               report: Callable[[str], None] = print) -> dict[str, float]:
    """Seed the migrated database at ``url`` (PostgreSQL) at ``scale``."""
    import asyncpg

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    counts = Counts.at(scale)
    dsn = url.replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        report(f"bench-seed: scale {scale:g}, reference time {now.isoformat()}: {counts}")
        started = time.perf_counter()
        times = await Seed(conn, lambda: asyncpg.connect(dsn), cipher, counts, now,
                           report).run()
        times["total"] = time.perf_counter() - started
        size = await conn.fetchval(
            "SELECT pg_size_pretty(pg_database_size(current_database()))")
        report(f"bench-seed: done in {times['total']:.0f} s, database {size}")
        return times
    finally:
        await conn.close()


def add_command(sub: Any) -> None:
    """Add ``bench-seed`` to the ``borderpass`` parser."""
    cmd = sub.add_parser("bench-seed", help="fill a dedicated PostgreSQL database with years "
                         "of a busy port, for benchmarks (docs/benchmarks.md)")
    cmd.add_argument("--scale", type=float, default=0.01,
                     help="1 = 1 M users and filings, 10 M declarations, 30 M ledger rows, "
                          "1 M open trips (default 0.01)")
    cmd.add_argument("--db", required=True, metavar="URL",
                     help="postgres://… of an EMPTY database of its own (migrated here)")


def run(args: Any, settings: Any) -> int:
    """Migrate ``--db``, open its keyring with the configured data key, seed it."""
    import asyncio

    from borderpass.adapters.db import close_db, init_db
    from borderpass.adapters.keyring import open_cipher

    if not args.db.startswith(("postgres://", "postgresql://")):
        print("error: bench-seed needs a PostgreSQL database (--db postgres://…)")
        return 2
    if args.scale <= 0:
        print("error: --scale must be positive")
        return 2
    settings = settings.with_overrides(database_url=args.db)

    async def go() -> None:
        await init_db(args.db)
        try:
            cipher = await open_cipher(settings)
        finally:
            await close_db()
        await seed(args.db, cipher, args.scale)

    asyncio.run(go())
    return 0
