"""R-U7: the audit trail is tamper-evident and kept at least 6 months.

Adds the hash chain's columns (rows written before stay unchained here; the first append
or ``borderpass audit verify`` after this migration chains them, under the append lock) and
guards in the database itself: a chained row cannot be updated (PostgreSQL and SQLite), and
on PostgreSQL, the production record, no row younger than 183 days can be deleted (the
embedded SQLite default keeps only the first guard: its tests empty tables with DELETE).
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

_POSTGRES = """
CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.row_hash IS NOT NULL THEN
    RAISE EXCEPTION 'audit_events are append-only (row %)', OLD.id;
  END IF;
  IF TG_OP = 'DELETE' AND OLD.at > now() - interval '183 days' THEN
    RAISE EXCEPTION 'audit_events younger than 183 days are kept (row %)', OLD.id;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_events_guard BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_guard();
"""
_SQLITE = """
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  WHEN OLD.row_hash IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'audit_events are append-only'); END;
"""
_DROP = {
    "postgres": "DROP TRIGGER audit_events_guard ON audit_events;"
                " DROP FUNCTION audit_events_guard();",
    "sqlite": "DROP TRIGGER audit_events_no_update;",
}


async def _guard(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    await client.execute_script(_POSTGRES if postgres else _SQLITE)


async def _unguard(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    await client.execute_script(_DROP[client.capabilities.dialect])


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0006_sessions_and_login_locks')]

    initial = False

    operations = [
        ops.AddField(model_name='AuditEvent', name='prev_hash',
                     field=fields.CharField(null=True, max_length=64)),
        ops.AddField(model_name='AuditEvent', name='row_hash',
                     field=fields.CharField(null=True, max_length=64)),
        ops.RunPython(_guard, _unguard),
    ]
