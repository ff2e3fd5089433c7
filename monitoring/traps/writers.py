"""One batch of trap rows → ONE bulk insert, returning the new ids in row order.

Which writer depends on the database, as a table: PostgreSQL gets `COPY` (≈7 µs of
Python CPU per row, against ≈55 µs for `bulk_create`, whose client-side quoting of the
UNNEST arrays dominates); every other database gets `bulk_create`. Both are one
statement's worth of round trips per batch, never one per trap.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection, transaction

from monitoring.models import Trap


class TrapRow(NamedTuple):
    """The columns of one `Trap` row (field names = model field names)."""

    received_at: datetime
    source_address: str
    source_port: int
    ups_id: int | None
    version: str
    community_ok: bool
    inform: bool
    trap_oid: str
    kind: str
    alarm: str
    varbinds: dict[str, Any]
    error: str
    raw_hex: str


Writer = Callable[[Sequence[TrapRow]], list[int]]


def bulk_create(rows: Sequence[TrapRow]) -> list[int]:
    with transaction.atomic():
        created = Trap.objects.bulk_create([Trap(**row._asdict()) for row in rows])
    return [int(obj.pk) for obj in created]


def postgresql_copy(rows: Sequence[TrapRow]) -> list[int]:
    # COPY returns no ids, so take them from the table's sequence first (one query);
    # ids then follow arrival order just as with INSERT.
    table = Trap._meta.db_table
    columns = ", ".join(connection.ops.quote_name(name) for name in ("id", *TrapRow._fields))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(rows)],
        )
        ids = [int(row[0]) for row in cursor.fetchall()]
        raw = cursor.cursor  # the psycopg 3 cursor underneath Django's wrapper
        with raw.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for trap_id, row in zip(ids, rows, strict=True):
                copy.write_row((trap_id, *row[:-3], json.dumps(row.varbinds), *row[-2:]))
    return ids


WRITERS: dict[str, Writer] = {"postgresql": postgresql_copy}


def writer_for(vendor: str) -> Writer:
    if vendor == "postgresql" and not _psycopg3():
        return bulk_create  # psycopg2 has no Cursor.copy()
    return WRITERS.get(vendor, bulk_create)


def _psycopg3() -> bool:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False
    return True
