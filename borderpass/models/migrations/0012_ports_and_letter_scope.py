"""Ports are data (issue 26); an official letter names the vehicles and people it covers
(R-F2).

Creates ``ports`` and fills it with the China–Myanmar road ports. ``mengding`` was a port
code of its own before, but Mengding (孟定) is the town of Qingshuihe port (清水河): it is
kept as an alias of ``qingshuihe`` (input naming it still works, and passes signed before
this migration still match Qingshuihe's lanes), and declarations that said ``mengding``
are rewritten to ``qingshuihe`` (lanes: gate migration ``0004_lane_ports``).

Letters approved before this migration name nothing (empty lists): they keep the filings
made under them, but a new filing needs a letter that names its vehicle and drivers.
"""

import json
from datetime import UTC, datetime
from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# code, 中文, Burmese, English, aliases — the same list as services/crossings/land_ports.py SEED
PORTS = (
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


async def _seed(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        sql = ("INSERT INTO ports (code, name_zh, name_my, name_en, countries, active, aliases,"
               " created_at) VALUES ($1, $2, $3, $4, $5, $6, CAST($7 AS JSONB), $8)")
    else:
        sql = ("INSERT INTO ports (code, name_zh, name_my, name_en, countries, active, aliases,"
               " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    now = datetime.now(UTC)
    for code, zh, my, en, aliases in PORTS:
        await client.execute_query(sql, [code, zh, my, en, "CN-MM", True,
                                         json.dumps(list(aliases)), now])
    await client.execute_query(
        "UPDATE declarations SET port = 'qingshuihe' WHERE port = 'mengding'")


async def _unseed(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_query("DELETE FROM ports")


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0011_filing_renewals')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Port',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True,
                                       db_index=True)),
                ('code', fields.CharField(unique=True, max_length=40)),
                ('name_zh', fields.CharField(max_length=40)),
                ('name_my', fields.CharField(max_length=80)),
                ('name_en', fields.CharField(max_length=60)),
                ('countries', fields.CharField(default='CN-MM', max_length=5)),
                ('active', fields.BooleanField(default=True)),
                ('aliases', fields.JSONField(default=list)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ports', 'app': 'borderpass', 'pk_attr': 'id',
                     'table_description': 'Port — 口岸: a land port, its names in zh/my/en '
                                          'and the countries it joins.'},
            bases=['Model'],
        ),
        ops.AddField(model_name='OfficialLetter', name='vehicles',
                     field=fields.JSONField(default=list)),
        ops.AddField(model_name='OfficialLetter', name='people',
                     field=fields.JSONField(default=list)),
        ops.RunPython(_seed, _unseed),
    ]
