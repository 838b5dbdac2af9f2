"""Deletion on request and crypto-shredding (PIPL art. 47; R-D7).

``subject_keys``: one random key per person, wrapped by the data key, under which their
document files are sealed; deleting the row destroys it. ``documents.file_name``: the stored
name of a subject-sealed file (NULL: the file is stored under ``sha256`` as before).
``users.erasure_requested_at`` / ``erased_at``: a deletion asked for, and done.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('borderpass', '0024_organisation_profiles')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SubjectKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user_id', fields.IntField(unique=True)),
                ('wrapped', fields.TextField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'subject_keys', 'app': 'borderpass', 'pk_attr': 'id',
                     'table_description': "One person's subject key (R-D7), wrapped by the data key"},
            bases=['Model'],
        ),
        ops.AddField(model_name='Document', name='file_name',
                     field=fields.CharField(null=True, max_length=64)),
        ops.AddField(model_name='User', name='erasure_requested_at',
                     field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        ops.AddField(model_name='User', name='erased_at',
                     field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
    ]
