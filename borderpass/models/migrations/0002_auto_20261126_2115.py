from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('borderpass', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='FilingDriver',
            index=Index(fields=['filing_id', 'position']),
        ),
        ops.AddIndex(
            model_name='Trip',
            index=Index(fields=['filing_id', 'status']),
        ),
    ]
