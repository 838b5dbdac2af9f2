"""``borderpass audit verify``: walk the audit trail's hash chain (R-U7)."""

from __future__ import annotations

import asyncio
from typing import Any

from borderpass.core.config import Settings

PROBLEMS = {
    "hash": "its content does not match its hash (edited)",
    "link": "it does not link to the row before it (a row before it was deleted or edited)",
    "unchained": "it carries no hash but rows after it do (hash removed)",
}


def add_commands(sub: Any) -> None:
    """Add the ``audit`` subcommands to the ``borderpass`` parser."""
    audit = sub.add_parser("audit", help="the audit trail of personal data (R-U7)")
    cmds = audit.add_subparsers(dest="audit_command", required=True)
    cmds.add_parser("verify", help="check the hash chain; name the first broken row")


def run(args: Any, settings: Settings) -> int:
    """Run an ``audit`` subcommand; 0 when the chain holds, 1 at the first broken row."""
    from borderpass.adapters.db import close_db, init_db
    from borderpass.services import audit

    async def verify() -> audit.Verdict:
        await init_db(settings.db_url)
        try:
            await audit.seal_pending()  # rows from before the chain existed, once
            return await audit.verify()
        finally:
            await close_db()

    verdict = asyncio.run(verify())
    if verdict.ok:
        print(f"audit chain intact: {verdict.checked} rows, head {verdict.head}")
        return 0
    print(f"audit chain broken at row {verdict.broken_id}: {PROBLEMS[verdict.problem]}; "
          f"{verdict.checked} rows before it hold")
    return 1
