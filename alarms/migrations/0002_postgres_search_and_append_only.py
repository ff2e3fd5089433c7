"""PostgreSQL only: trigram index for free-text search, and a trigger that keeps the
alarm event log append-only. A no-op on SQLite (the embedded mode searches with LIKE
over far fewer rows, and the model's save()/delete() guard the log there)."""

from django.db import migrations

TRGM_INDEX = "alarm_message_trgm"

# On UPPER(message): Django's `icontains` on PostgreSQL is UPPER(col) LIKE UPPER(%s), and
# the planner uses an expression index only when the expression matches.
FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON alarms_alarm "
    "USING gin ((UPPER(message::text)) gin_trgm_ops)",
    """
    CREATE OR REPLACE FUNCTION alarms_event_append_only() RETURNS trigger AS $$
    BEGIN
        -- Only two writes are allowed after insert: the notifier claiming the row
        -- (processed_at NULL -> a time, once) and ON DELETE SET NULL of its user.
        IF NEW.id IS DISTINCT FROM OLD.id
           OR NEW.ups_id IS DISTINCT FROM OLD.ups_id
           OR NEW.alarm_id IS DISTINCT FROM OLD.alarm_id
           OR NEW.at IS DISTINCT FROM OLD.at
           OR NEW.kind IS DISTINCT FROM OLD.kind
           OR NEW.condition IS DISTINCT FROM OLD.condition
           OR NEW.message IS DISTINCT FROM OLD.message
           OR NEW.data IS DISTINCT FROM OLD.data
           OR (NEW.user_id IS DISTINCT FROM OLD.user_id AND NEW.user_id IS NOT NULL)
           OR (OLD.processed_at IS NOT NULL AND NEW.processed_at IS DISTINCT FROM OLD.processed_at)
        THEN
            RAISE EXCEPTION 'alarm events are append-only (event %)', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS alarms_event_append_only ON alarms_alarmevent",
    """
    CREATE TRIGGER alarms_event_append_only BEFORE UPDATE ON alarms_alarmevent
    FOR EACH ROW EXECUTE FUNCTION alarms_event_append_only()
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS alarms_event_append_only ON alarms_alarmevent",
    "DROP FUNCTION IF EXISTS alarms_event_append_only()",
    f"DROP INDEX IF EXISTS {TRGM_INDEX}",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("alarms", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
