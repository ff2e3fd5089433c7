"""Rollup tables for the trend charts, the bucket SQL they share, and retention.

Three sources hold the same measures at three resolutions (docs/trends.md):

| source | table | one row per | kept (default) |
|---|---|---|---|
| raw | `Measurement` | poll (30 s) | 30 days |
| 5m | `Rollup5m` | UPS per 5 minutes | 1 year |
| 1h | `Rollup1h` | UPS per hour | 5 years |

One SQL builder (`bucket_select`) aggregates any source into buckets of any width: the
periodic rollup uses it to fill 5m from raw and 1h from 5m, and the chart query uses
it to merge a source into the width a chart needs. Averages are weighted by the sample
count, so a merged bucket's average equals the average of the polls under it.

The rollup is incremental and idempotent: each run deletes and recomputes the buckets
from the last stored bucket (minus a grace period for polls still being written) up to
the current, partial one, in one transaction. Older buckets are final and never read
again; running twice gives the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Max, Min
from django.utils import timezone

from monitoring.models import (
    ROLLUP_MEASURES,
    Measurement,
    Rollup1h,
    Rollup5m,
    RollupBase,
    Ups,
    UpsStatus,
)

log = logging.getLogger(__name__)

# UPS ids per statement: keeps IN lists short and lets the (ups, time) index serve them.
UPS_CHUNK = 200
# Rows per DELETE in the purge: short transactions, no long lock on a busy table.
PURGE_BATCH = 10_000


@dataclass(frozen=True, slots=True)
class Source:
    """One table the charts can read, and how to read min/avg/max from it."""

    name: str
    model: type[models.Model]
    time_column: str
    width_s: int  # native resolution (raw: the usual poll interval)
    retention_setting: str
    rolled_from: str | None = None  # the finer source this rollup is computed from

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def is_raw(self) -> bool:
        return self.model is Measurement

    @property
    def weight(self) -> str:
        # A raw row is one poll; a rollup row stands for `samples` polls.
        return "1" if self.is_raw else "samples"

    @property
    def only_valid(self) -> str:
        # Unanswered polls have no values; keeping them out keeps sample counts honest.
        return " AND reachable" if self.is_raw else ""

    def column(self, measure: str, aggregate: str) -> str:
        return measure if self.is_raw else f"{measure}_{aggregate}"

    def retention(self) -> timedelta:
        return timedelta(days=settings.UNMS["TRENDS"][self.retention_setting])


RAW = Source("raw", Measurement, "taken_at", 30, "RAW_RETENTION_DAYS")
R5M = Source("5m", Rollup5m, "bucket", 300, "ROLLUP_5M_RETENTION_DAYS", rolled_from="raw")
R1H = Source("1h", Rollup1h, "bucket", 3600, "ROLLUP_1H_RETENTION_DAYS", rolled_from="5m")
# Finest first: the chart query walks this list; the rollup fills it in this order.
SOURCES: tuple[Source, ...] = (RAW, R5M, R1H)
BY_NAME = {s.name: s for s in SOURCES}
ROLLUPS: tuple[Source, ...] = tuple(s for s in SOURCES if s.rolled_from)

# Epoch seconds of a timestamp column, and a timestamp from epoch seconds, per backend.
# Integers throughout: PostgreSQL's EXTRACT returns numeric, and numeric division is
# several times slower than bigint division in a GROUP BY over thousands of rows.
_EPOCH = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM {col}) AS BIGINT)",
    "sqlite": "CAST(strftime('%%s', {col}) AS INTEGER)",
}
_FROM_EPOCH = {"postgresql": "to_timestamp({x})", "sqlite": "datetime({x}, 'unixepoch')"}


def _vendor(table: dict[str, str]) -> str:
    try:
        return table[connection.vendor]
    except KeyError:
        raise NotImplementedError(f"trend rollups support {sorted(table)}") from None


def bucket_epoch_sql(column: str, width_s: int) -> str:
    """SQL for the start of `column`'s bucket, as integer epoch seconds (UTC-aligned)."""
    # Integer division floors here: epochs of real data are positive.
    epoch = _vendor(_EPOCH).format(col=column)
    return f"({epoch} / {int(width_s)}) * {int(width_s)}"


def db_time(value: datetime) -> Any:
    """A datetime as the backend stores it: raw SQL on SQLite compares text."""
    return connection.ops.adapt_datetimefield_value(value)


def floor_time(value: datetime, width_s: int) -> datetime:
    epoch = int(value.timestamp())
    return datetime.fromtimestamp(epoch - epoch % width_s, tz=UTC)


def aggregate_columns(source: Source, measures: Sequence[str]) -> list[str]:
    """min, weighted avg and max of each measure, in that order."""
    w = source.weight
    columns = []
    for m in measures:
        lo, avg, hi = (source.column(m, a) for a in ("min", "avg", "max"))
        columns += [
            f"MIN({lo})",
            # As a float: runtime is an integer column, and int / int truncates.
            f"SUM(CAST({avg} AS DOUBLE PRECISION) * {w})"
            f" / SUM(CASE WHEN {avg} IS NOT NULL THEN {w} END)",
            f"MAX({hi})",
        ]
    return columns


def bucket_select(
    source: Source, width_s: int, ups_count: int, measures: Sequence[str] = ROLLUP_MEASURES
) -> str:
    """SELECT ups_id, bucket (epoch s), samples, m1_min, m1_avg, m1_max, … per bucket.

    Parameters: `ups_count` UPS ids, then start (inclusive) and end (exclusive) times.
    """
    bucket = bucket_epoch_sql(source.time_column, width_s)
    ids = ", ".join(["%s"] * ups_count)
    columns = ", ".join(aggregate_columns(source, measures))
    return (
        f"SELECT ups_id, {bucket} AS b, SUM({source.weight}), {columns} "
        f"FROM {source.table} "
        f"WHERE ups_id IN ({ids}) AND {source.time_column} >= %s AND {source.time_column} < %s"
        f"{source.only_valid} "
        f"GROUP BY ups_id, b ORDER BY ups_id, b"
    )


def _chunks(ids: Sequence[int], size: int = UPS_CHUNK) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _rollup_columns() -> list[str]:
    return [f"{m}_{a}" for m in ROLLUP_MEASURES for a in ("min", "avg", "max")]


def _start_of_work(target: Source, now: datetime, grace: timedelta) -> datetime | None:
    """First bucket to (re)compute: the last stored one minus the grace period, or, on
    the first run, the oldest data of the finer source."""
    model: type[RollupBase] = target.model  # type: ignore[assignment]
    last = model._default_manager.aggregate(last=Max("bucket"))["last"]
    if last is not None:
        return floor_time(min(last, now) - grace, target.width_s)
    source = BY_NAME[target.rolled_from or "raw"]
    first = source.model._default_manager.aggregate(first=Min(source.time_column))["first"]
    return None if first is None else floor_time(first, target.width_s)


def rollup(target: Source, now: datetime | None = None) -> int:
    """Recompute `target`'s buckets from the last stored one to now; returns rows written."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.UNMS["TRENDS"]["ROLLUP_GRACE_S"])
    start = _start_of_work(target, now, grace)
    if start is None:
        return 0
    source = BY_NAME[target.rolled_from or "raw"]
    # The current bucket is included: charts see it (partial) until the next run.
    end = floor_time(now, target.width_s) + timedelta(seconds=target.width_s)
    ups_ids = list(Ups.objects.order_by("pk").values_list("pk", flat=True))
    to_epoch = _vendor(_FROM_EPOCH).format(x="b")
    insert_columns = ", ".join(["ups_id", "bucket", "samples", *_rollup_columns()])
    # The CTE names the aggregate's columns so the outer SELECT can turn the epoch into a
    # timestamp (both backends accept INSERT … WITH … SELECT).
    values = [f"v{i}" for i in range(1 + len(_rollup_columns()))]
    inner = ", ".join(["ups_id", "b", *values])
    outer = ", ".join(["ups_id", to_epoch, *values])
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _chunks(ups_ids):
            ids = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"DELETE FROM {target.table} WHERE ups_id IN ({ids}) AND bucket >= %s",
                [*chunk, db_time(start)],
            )
            select = bucket_select(source, target.width_s, len(chunk))
            cursor.execute(
                f"INSERT INTO {target.table} ({insert_columns}) "
                f"WITH agg ({inner}) AS ({select}) SELECT {outer} FROM agg",
                [*chunk, db_time(start), db_time(end)],
            )
            written += max(cursor.rowcount, 0)
    log.debug("rollup %s: %d rows from %s", target.name, written, start)
    return written


def rollup_all(now: datetime | None = None) -> dict[str, int]:
    """Every rollup level, finest first (1 h is merged from 5 min)."""
    return {target.name: rollup(target, now) for target in ROLLUPS}


# --- retention -------------------------------------------------------------------------


def _delete_batches(cursor: Any, sql: str, params: list[Any]) -> int:
    total = 0
    while True:
        cursor.execute(sql, params)
        deleted = max(cursor.rowcount, 0)
        total += deleted
        if deleted < PURGE_BATCH:
            return total


def purge(source: Source, now: datetime | None = None) -> int:
    """Delete rows of `source` older than its retention; returns how many."""
    now = now or timezone.now()
    cutoff = db_time(now - source.retention())
    table, time_column = source.table, source.time_column
    # The measurement a UPS's current status points to stays: it is what the UPS page
    # shows for a UPS that has been unreachable longer than the retention.
    keep = (
        f" AND id NOT IN (SELECT measurement_id FROM {UpsStatus._meta.db_table}"
        " WHERE measurement_id IS NOT NULL)"
        if source.is_raw
        else ""
    )
    sql = (
        f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "
        f"WHERE ups_id = %s AND {time_column} < %s{keep} LIMIT {PURGE_BATCH})"
    )
    total = 0
    with connection.cursor() as cursor:
        for ups_id in Ups.objects.order_by("pk").values_list("pk", flat=True):
            total += _delete_batches(cursor, sql, [ups_id, cutoff])
    return total


def purge_all(now: datetime | None = None) -> dict[str, int]:
    return {source.name: purge(source, now) for source in SOURCES}
