from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('borderpass', '0001_initial'), ('borderpass', '0002_auto_20261126_2115'), ('notify', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='DeliveryAttempt',
            name='msgid',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.RemoveField(model_name='Notification', name='msgid'),
    ]
