"""CSV export of a filtered alarm set, streamed: rows go out as the database cursor
yields them (server-side cursor on PostgreSQL, chunks of 2 000), never all in memory."""

from __future__ import annotations

import csv
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.db.models import DateTimeField, F, QuerySet, TextField
from django.db.models.functions import Cast

from alarms.models import Alarm

COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "id"),
    ("ups", "ups__name"),
    ("site", "ups__site__name"),
    ("kind", "kind"),
    ("severity", "severity"),
    ("state", "state"),
    ("message", "message"),
    ("source", "source"),
    ("raised_at", "raised_at"),
    ("last_seen_at", "last_seen_at"),
    ("cleared_at", "cleared_at"),
    ("occurrences", "occurrences"),
    ("acknowledged_by", "acknowledged_by__username"),
    ("acknowledged_at", "acknowledged_at"),
    ("frozen", "frozen"),
    ("latched", "latched"),
    ("chattering", "chattering"),
)
CHUNK = 2000
TEXT_COLUMNS = frozenset({"ups", "site", "message", "acknowledged_by"})

# A spreadsheet runs a cell that starts with one of these as a formula; messages come
# from UPS cards and traps, so they are not trusted (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_rows(qs: QuerySet[Alarm]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([name for name, _ in COLUMNS])
    # Timestamps leave the database as text: parsing a million of them into aware
    # datetimes only to print them again was most of the export's time. Only text
    # columns can carry a formula; None is written as an empty cell by csv itself.
    exprs: dict[str, Any] = {}
    text_columns: list[int] = []
    for i, (name, path) in enumerate(COLUMNS):
        field = Alarm._meta.get_field(path) if "__" not in path else None
        if isinstance(field, DateTimeField):
            exprs[f"_{name}"] = Cast(F(path), output_field=TextField())
        elif name in TEXT_COLUMNS:
            text_columns.append(i)
    fields = [f"_{name}" if f"_{name}" in exprs else path for name, path in COLUMNS]
    for row in qs.annotate(**exprs).values_list(*fields).iterator(chunk_size=CHUNK):
        if any(isinstance(row[i], str) and row[i].startswith(_FORMULA_START) for i in text_columns):
            row = tuple(_cell(v) for v in row)
        yield writer.writerow(row)


async def in_thread_chunks(
    lines: Iterator[str], lines_per_chunk: int = CHUNK
) -> AsyncIterator[str]:
    """`lines` for an ASGI server, one chunk at a time.

    Django serves a *sync* iterator to an ASGI server by first reading it whole into a
    list, so a million-row export would sit in memory before its first byte left. Each
    chunk is read in Django's thread-sensitive thread: the one connection that holds the
    query's server-side cursor.
    """
    take = sync_to_async(lambda: "".join(itertools.islice(lines, lines_per_chunk)))
    while chunk := await take():
        yield chunk
