"""SNMP communities encrypted at rest (monitoring.fields.EncryptedTextField).

The columns become TEXT (a ciphertext is longer than 255 characters), then every stored
community is rewritten encrypted. Backwards: decrypted first, then back to VARCHAR(255).
"""

from django.db import migrations

import monitoring.fields

SECRETS = ("community", "trap_community")


def encrypt_rows(apps, schema_editor):
    from monitoring.fields import encrypt, is_encrypted

    table = apps.get_model("monitoring", "Ups")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, community, trap_community FROM {table}")
        for pk, *values in cursor.fetchall():
            new = [encrypt(v) if v and not is_encrypted(v) else v for v in values]
            if new != values:
                cursor.execute(
                    f"UPDATE {table} SET community = %s, trap_community = %s WHERE id = %s",
                    [*new, pk],
                )


def decrypt_rows(apps, schema_editor):
    from monitoring.fields import decrypt

    table = apps.get_model("monitoring", "Ups")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, community, trap_community FROM {table}")
        for pk, *values in cursor.fetchall():
            plain = [decrypt(v) if v else v for v in values]
            cursor.execute(
                f"UPDATE {table} SET community = %s, trap_community = %s WHERE id = %s",
                [*plain, pk],
            )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0005_vendor_profiles_sensors")]

    operations = [
        migrations.AlterField(
            model_name="ups",
            name="community",
            field=monitoring.fields.EncryptedTextField(max_length=255),
        ),
        migrations.AlterField(
            model_name="ups",
            name="trap_community",
            field=monitoring.fields.EncryptedTextField(
                blank=True,
                help_text="Community of the card's traps; empty: the read one.",
                max_length=255,
            ),
        ),
        # Reversed: rows are decrypted before the columns shrink back to 255 characters.
        migrations.RunPython(encrypt_rows, decrypt_rows),
    ]
