"""The databases a benchmark runs on: named by flags (no defaults), since each is wiped.

A benchmark CREATEs and DROPs the PostgreSQL database named by ``--bench-db`` and FLUSHes the
Redis database of ``--redis``. It refuses a Redis database holding keys it did not leave
itself (its marker key), so a shared Redis's other databases are never emptied by mistake.
"""

from __future__ import annotations

import argparse
import os

from borderpass.adapters.kv import make_redis

MARKER = "borderpass:bench:owned"  # left in a Redis database a benchmark has claimed

EPILOG = """\
Databases: unless --sqlite or --existing-db, the benchmark CREATEs and finally DROPs the
PostgreSQL database named by --bench-db (beside --pg's); --existing-db URL runs on a database
filled by `borderpass bench-seed` and never drops it. It FLUSHes the Redis database named
by --redis before and after. Give a database used by nothing else: a Redis database holding
keys that no benchmark left is refused. `make bench` passes BENCH_DB and BENCH_REDIS (see
docs/benchmarks.md).
"""


def add_arguments(parser: argparse.ArgumentParser, sqlite: bool = True) -> None:
    """The --pg, --bench-db and --redis flags (and --sqlite unless the benchmark has one)."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--pg", default=os.environ.get("BORDERPASS_BENCH_PG",
                                       "postgres://postgres@127.0.0.1:5432/postgres"),
        help="PostgreSQL admin URL; the benchmark's database is made beside it "
             "(default: $BORDERPASS_BENCH_PG or %(default)s)")
    parser.add_argument("--bench-db", metavar="NAME",
                        help="PostgreSQL database to CREATE and DROP (required unless --sqlite)")
    parser.add_argument("--existing-db", metavar="URL",
                        help="run on this already filled PostgreSQL database (`borderpass "
                             "bench-seed`) instead of creating one: never dropped, the "
                             "benchmark adds its rows to it; its data key in "
                             "$BORDERPASS_DATA_KEY")
    parser.add_argument("--redis", metavar="URL",
                        help="Redis URL with a database number of its own, e.g. "
                             "redis://127.0.0.1:6379/14; it is FLUSHED (required unless --sqlite)")
    if sqlite:
        parser.add_argument("--sqlite", action="store_true",
                            help="run on the embedded defaults (SQLite + fakeredis) instead")


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stops with a usage error unless both databases are named (or --sqlite is given)."""
    if getattr(args, "sqlite", False):
        return
    if args.existing_db:
        if not args.redis:
            parser.error("name the Redis database this benchmark wipes: --redis")
        if not os.environ.get("BORDERPASS_DATA_KEY"):
            parser.error("--existing-db: set BORDERPASS_DATA_KEY to the data key it was "
                         "seeded with")
        return
    missing = [flag for flag, value in (("--bench-db", args.bench_db), ("--redis", args.redis))
               if not value]
    if missing:
        parser.error(f"name the databases this benchmark wipes: {' and '.join(missing)} "
                     "(or --sqlite)")
    if not args.bench_db.replace("_", "").isalnum():
        parser.error("--bench-db: letters, digits and _ only")


def database_url(admin_url: str, name: str) -> str:
    """``admin_url`` naming database ``name`` instead (any ``?host=/socket/dir`` kept)."""
    head, _, query = admin_url.partition("?")
    return head.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")


async def claim_redis(url: str) -> None:
    """Empties the benchmark's Redis database; refuses one holding another program's keys."""
    redis = make_redis(url)
    try:
        size = await redis.dbsize()
        if size and not await redis.exists(MARKER):
            raise SystemExit(f"{url} holds {size} keys that no benchmark left: name an empty "
                             "Redis database with --redis (it will be flushed)")
        await redis.flushdb()
        await redis.set(MARKER, "1")
    finally:
        await redis.aclose()
