"""CSV export of a filtered alarm set, streamed: rows go out as the database cursor
yields them (server-side cursor on PostgreSQL, chunks of 2 000), never all in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

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
    fields = [path for _, path in COLUMNS]
    for row in qs.values_list(*fields).iterator(chunk_size=CHUNK):
        yield writer.writerow([_cell(v) for v in row])
