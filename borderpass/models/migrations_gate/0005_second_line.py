"""R-G1, R-G8: the second-line lane type (二线通道) joins the lane types (no table change)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from borderpass.models.gate import LaneType


class Migration(migrations.Migration):
    dependencies = [('gate', '0004_lane_ports')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Lane',
            name='lane_type',
            field=fields.CharEnumField(
                description='BONDED_GOODS: bonded_goods\nECOMMERCE_9610: ecommerce_9610\n'
                            'NON_BONDED_GOODS: non_bonded_goods\nADMINISTRATIVE: administrative\n'
                            'PEOPLE: people\nSECOND_LINE: second_line',
                enum_type=LaneType, max_length=20),
        ),
    ]
