"""Webhook secrets encrypted at rest (monitoring.fields.EncryptedTextField), like the SNMP
communities (monitoring 0006): the column becomes TEXT, then every stored secret is
rewritten encrypted. Backwards: decrypted first, then back to VARCHAR(200)."""

from django.db import migrations

import monitoring.fields


def encrypt_rows(apps, schema_editor):
    from monitoring.fields import encrypt, is_encrypted

    table = apps.get_model("notifications", "Channel")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, secret FROM {table}")
        for pk, value in cursor.fetchall():
            if value and not is_encrypted(value):
                cursor.execute(
                    f"UPDATE {table} SET secret = %s WHERE id = %s", [encrypt(value), pk]
                )


def decrypt_rows(apps, schema_editor):
    from monitoring.fields import decrypt

    table = apps.get_model("notifications", "Channel")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, secret FROM {table}")
        for pk, value in cursor.fetchall():
            if value:
                cursor.execute(
                    f"UPDATE {table} SET secret = %s WHERE id = %s", [decrypt(value), pk]
                )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("monitoring", "0006_encrypt_communities"),
    ]

    operations = [
        migrations.AlterField(
            model_name="channel",
            name="secret",
            field=monitoring.fields.EncryptedTextField(
                blank=True,
                help_text="Key of the HMAC-SHA256 signature header; empty: unsigned.",
                max_length=200,
                verbose_name="webhook secret",
            ),
        ),
        # Reversed: rows are decrypted before the column shrinks back to 200 characters.
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
