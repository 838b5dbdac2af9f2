"""What a filing names, as other records key it: its vehicle (trips are the vehicle's) and
its owner and drivers (blacklist entries name them by blind-index key, R-F9).

Filings, declarations, passes, the lanes and unit checks all read these; crossings writes
the trips and the blacklist (services/crossings/trip_record.py, blacklist.py) and sits
above filings, so the reads live here.
"""

from __future__ import annotations

from collections.abc import Sequence

from borderpass.adapters import rows
from borderpass.models import BlacklistEntry


def vehicle_key_sql(alias: str) -> str:
    """SQL naming the vehicle of filing row ``alias``: its VIN, else ``filing:<id>``."""
    return f"coalesce(nullif({alias}.vin, ''), 'filing:' || {alias}.id)"


def vehicle_key(filing_id: int, vin: str | None) -> str:
    """The vehicle of a filing, as :func:`vehicle_key_sql` names it."""
    return vin or f"filing:{filing_id}"


def listed_sql(*keys: str) -> str:
    """SQL that is true when an unlifted entry names any of these key expressions (columns or
    subqueries of the enclosing statement), for reads that check the blacklist in the same
    round trip as the rest (a declaration, a scan at the lane)."""
    return (f"EXISTS (SELECT 1 FROM {BlacklistEntry._meta.db_table} b WHERE b.lifted_at IS NULL"
            f" AND b.subject_key IN ({', '.join(keys)}))")


async def active_entry(keys: Sequence[str | None]) -> BlacklistEntry | None:
    """The first unlifted entry naming any of these blind-index keys."""
    wanted = [k for k in keys if k]
    if not wanted:
        return None
    marks = ", ".join("{}" for _ in wanted)  # on every declaration and pass: no query builder
    return await rows.first(BlacklistEntry, f"subject_key IN ({marks}) AND lifted_at IS NULL",
                            *wanted)
