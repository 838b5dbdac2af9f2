"""Lanes refer to a port of the ``ports`` table (issue 26).

Lanes registered at ``mengding`` (the town of Qingshuihe port, now an alias of
``qingshuihe``: borderpass migration ``0012_ports_and_letter_scope``) move to
``qingshuihe``. Crossings already recorded keep the code they were recorded with: the
gate's record is not rewritten.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops


async def _to_qingshuihe(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_query(
        "UPDATE gate_lanes SET port = 'qingshuihe' WHERE port = 'mengding'")


async def _nothing(apps: Any, schema_editor: Any) -> None:
    """Going back keeps ``qingshuihe``: both codes name the same port."""


class Migration(migrations.Migration):
    dependencies = [('gate', '0002_durable_gate')]

    initial = False

    operations = [
        ops.RunPython(_to_qingshuihe, _nothing),
    ]
