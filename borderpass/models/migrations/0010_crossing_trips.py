"""Trips follow the gate's crossings (issue 26; R-F7, R-F8): keyed by the vehicle (VIN).

Schema: ``trips.vin`` (the vehicle: its VIN, else ``filing:<id>``), ``exit_crossing_id`` and
``entry_crossing_id``; the exit declaration becomes optional (a manual lift is a crossing
without one); one open trip per vehicle (``trips_one_open_vin``) replaces one per filing.

Data, without losing a vehicle that may be abroad (docs/gate-durability.md, "Trips"):

- a trip whose exit pass was used at a lane (a ``gate_crossings`` row for its exit
  declaration) takes the crossing's real time as ``exited_at`` and its deadline is counted
  again from it (R-F8, per category);
- an open trip whose exit was declared but never seen at a lane stays open as it is
  (declared time and deadline, ``exit_crossing_id`` null): the crossings table is younger
  than the trips, so an exit made before it, or through a lane that was down, has no row;
  a false open trip costs a driver a visit to customs, a lost one lets an overstay through;
- a trip closed by an entry *declared* but never crossed (the entry pass still unused),
  whose exit the gate did see, is opened again: per the gate's record the vehicle is abroad
  (unless the same vehicle already has an open trip);
- an entry pass used at a lane gives the trip its real ``returned_at``;
- two open trips of the same VIN (two filings of one vehicle) cannot both hold the index:
  the later ones stay open, keyed ``<vin>#<trip id>`` (still swept for overstays, shown to
  customs; closed by hand), never dropped.
"""

import calendar
from datetime import datetime
from typing import Any

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

# R-F8 as it stood when this migration was written (a migration must not follow later
# changes of services/crossings/stay_limits.json): personal vehicles 3 months, others until expiry.
MONTHS = {"personal": 3}


def _deadline(exited: datetime, category: str, expires: datetime | None) -> datetime:
    """The stay limit's deadline from a real exit, capped by the filing's expiry."""
    months = MONTHS.get(str(category))
    if months is None:
        return expires or exited
    index = exited.month - 1 + months
    year, month = exited.year + index // 12, index % 12 + 1
    day = min(exited.day, calendar.monthrange(year, month)[1])
    limit = exited.replace(year=year, month=month, day=day)
    return min(limit, expires) if expires else limit


def _at(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


async def _forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    pg = client.capabilities.dialect == "postgres"

    def m(n: int) -> str:
        return f"${n}" if pg else "?"

    await client.execute_script(
        "UPDATE trips SET vin = coalesce((SELECT coalesce(nullif(f.vin, ''), 'filing:' || f.id)"
        " FROM filings f WHERE f.id = trips.filing_id), 'filing:' || trips.filing_id)")
    rows = await client.execute_query_dict(
        "SELECT t.id, t.status, t.vin, t.exited_at, t.entry_declaration_id, f.category,"
        " f.expires_at, x.id AS exit_cid, x.at AS exit_at, n.id AS entry_cid,"
        " n.at AS entry_at, d.status AS entry_status FROM trips t"
        " JOIN filings f ON f.id = t.filing_id"
        " LEFT JOIN gate_crossings x ON x.declaration_id = t.exit_declaration_id"
        "  AND x.direction = 'exit'"
        " LEFT JOIN gate_crossings n ON n.declaration_id = t.entry_declaration_id"
        "  AND n.direction = 'entry'"
        " LEFT JOIN declarations d ON d.id = t.entry_declaration_id"
        " ORDER BY t.exited_at DESC, t.id DESC")
    open_vins = {r["vin"] for r in rows if r["status"] == "open"}
    for r in rows:
        if r["exit_cid"] is not None:  # the gate saw it leave: its real time
            exited = _at(r["exit_at"])
            assert exited is not None
            deadline = _deadline(exited, r["category"], _at(r["expires_at"]))
            await client.execute_query(
                f"UPDATE trips SET exit_crossing_id = {m(1)}, exited_at = {m(2)},"
                f" deadline = {m(3)} WHERE id = {m(4)}",
                [r["exit_cid"], exited, deadline, r["id"]])
        if r["entry_cid"] is not None:  # the gate saw it come back
            await client.execute_query(
                f"UPDATE trips SET entry_crossing_id = {m(1)}, returned_at = {m(2)}"
                f" WHERE id = {m(3)}", [r["entry_cid"], _at(r["entry_at"]), r["id"]])
        elif (r["status"] == "closed" and r["exit_cid"] is not None
              and r["entry_status"] == "approved" and r["vin"] not in open_vins):
            # closed by a declared entry never crossed: abroad per the gate's record
            await client.execute_query(
                f"UPDATE trips SET status = 'open', returned_at = NULL,"
                f" entry_declaration_id = NULL WHERE id = {m(1)}", [r["id"]])
            open_vins.add(r["vin"])
    seen: set[str] = set()
    dupes = await client.execute_query_dict(
        "SELECT id, vin FROM trips WHERE status = 'open' ORDER BY exited_at, id")
    for r in dupes:
        if r["vin"] in seen:
            await client.execute_query(
                f"UPDATE trips SET vin = {m(1)} WHERE id = {m(2)}",
                [f"{r['vin']}#{r['id']}"[:40], r["id"]])
        seen.add(r["vin"])


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0009_idempotency_records'), ('gate', '0002_durable_gate')]

    initial = False

    operations = [
        ops.RunSQL("DROP INDEX trips_one_open",
                   reverse_sql="CREATE UNIQUE INDEX trips_one_open ON trips (filing_id)"
                               " WHERE status = 'open'"),
        ops.AddField(model_name='Trip', name='vin',
                     field=fields.CharField(null=True, max_length=40)),
        ops.AddField(model_name='Trip', name='exit_crossing_id',
                     field=fields.BigIntField(null=True)),
        ops.AddField(model_name='Trip', name='entry_crossing_id',
                     field=fields.BigIntField(null=True)),
        ops.AlterField(
            model_name='Trip', name='exit_declaration',
            field=fields.ForeignKeyField('borderpass.Declaration',
                                         source_field='exit_declaration_id', null=True,
                                         db_constraint=True, to_field='id',
                                         related_name='exit_trip', on_delete=OnDelete.CASCADE)),
        ops.RunPython(_forward, ops.RunPython.noop),
        ops.AlterField(model_name='Trip', name='vin',
                       field=fields.CharField(default='', max_length=40)),
        # R-F7: one open trip per vehicle; a second exit crossing is kept and flagged.
        ops.RunSQL("CREATE UNIQUE INDEX trips_one_open_vin ON trips (vin) WHERE status = 'open'",
                   reverse_sql="DROP INDEX trips_one_open_vin"),
    ]
