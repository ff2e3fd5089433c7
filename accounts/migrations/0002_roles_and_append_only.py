"""The three role groups with their permissions, and (PostgreSQL) a trigger that keeps the
audit log append-only. The groups are re-synced after every migrate (accounts.apps), so
permissions of apps migrated later join them too."""

from django.db import migrations

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION accounts_audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only (entry %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS accounts_audit_append_only ON accounts_auditentry",
    """
    CREATE TRIGGER accounts_audit_append_only BEFORE UPDATE OR DELETE ON accounts_auditentry
    FOR EACH ROW EXECUTE FUNCTION accounts_audit_append_only()
    """,
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS accounts_audit_append_only ON accounts_auditentry",
    "DROP FUNCTION IF EXISTS accounts_audit_append_only()",
]


def _trigger(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create them
    # now so that a fresh database gets complete groups from this migration already.
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, apps=global_apps)

    from accounts.roles import sync_role_groups

    sync_role_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("alarms", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_groups, migrations.RunPython.noop),
        migrations.RunPython(_trigger(FORWARD), _trigger(BACKWARD)),
    ]
