"""PostgreSQL only: a covering index for free-text search (docs/alarms.md, "Free text").

(raised_at, id) INCLUDE (ups_id, message): the text search walks it newest first as an
index-only scan, testing the message (and the UPS) on the index tuple without visiting
the table, and stops once it has a page. A no-op on SQLite (no INCLUDE; the embedded
mode's tables are small enough for LIKE).
"""

from django.db import migrations

INDEX = "alarm_raised_text_idx"

FORWARD = [
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON alarms_alarm (raised_at, id) INCLUDE (ups_id, message)"
]
BACKWARD = [f"DROP INDEX IF EXISTS {INDEX}"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("alarms", "0002_postgres_search_and_append_only")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
