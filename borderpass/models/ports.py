"""Land ports (口岸): where lanes stand and crossings are declared; data, not code."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Port(Model):
    """Port — 口岸: a land port, its names in zh/my/en and the countries it joins.

    Its lanes refer to it by code (``gate_lanes.port``). ``aliases`` are older codes that
    still name it (``mengding``, the town of Qingshuihe port): accepted on input, resolved
    to ``code``, never offered.
    """

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=40, unique=True)
    name_zh = fields.CharField(max_length=40)
    name_my = fields.CharField(max_length=80)
    name_en = fields.CharField(max_length=60)
    countries = fields.CharField(max_length=5, default="CN-MM")
    active = fields.BooleanField(default=True)
    aliases: fields.Field[list[str]] = fields.JSONField(default=list)
    # R-G8: the share (%) of second-line passages picked for a random check; NULL: 5 %.
    second_line_check_pct = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ports"
