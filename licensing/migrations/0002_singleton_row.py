"""The licence row exists from the start: every UPS addition locks it (FOR UPDATE), and a
missing row would leave the first additions unserialised."""

from django.db import migrations


def create_row(apps, schema_editor):
    apps.get_model("licensing", "LicenceState").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("licensing", "0001_initial")]

    operations = [migrations.RunPython(create_row, migrations.RunPython.noop)]
