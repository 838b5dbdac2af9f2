"""The second-line channel: each port's random-check rate for credit-list passages."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0018_chat_photo_queue')]

    initial = False

    operations = [
        ops.AddField(model_name='Port', name='second_line_check_pct',
                     field=fields.IntField(null=True)),
    ]
