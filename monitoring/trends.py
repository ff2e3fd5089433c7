"""Trend charts of one UPS: which measures, on which scale, from which table.

`CHARTS` is the table of what the UPS page draws: series, unit, a fixed y-range and a
normal band per measure, alarm limits from the UPS's thresholds (alarm-management.md
§5.14: shade the normal band and the limits, never auto-zoom into noise). `plan` picks
the source (raw, 5 min or 1 h rollup) and bucket width that keep every series under
`MAX_POINTS`; `chart_data` runs one grouped query and shapes the JSON the page, the API
and the CSV export share. Alarm episodes are added by the caller (`monitoring` never
imports `alarms`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from monitoring.models import Ups
from monitoring.rollups import SOURCES, Source, bucket_select, db_time
from monitoring.status import Thresholds

# A bound of a y-range or band: a number, the name of a `Thresholds` field, or None
# (open: the range's edge). With `Chart.nominal` set, numbers are multiples of the
# nominal value (0.9 = nominal - 10 %).
Bound = float | str | None

# Standard nominal values: a chart of a 120 V UPS centres on 120 V, not on 230 V.
VOLTAGE_NOMINALS = (100, 110, 115, 120, 127, 200, 208, 220, 230, 240, 277, 380, 400, 415, 480)
FREQUENCY_NOMINALS = (50, 60)


@dataclass(frozen=True, slots=True)
class Series:
    field: str
    label: str


@dataclass(frozen=True, slots=True)
class Limit:
    threshold: str  # a `Thresholds` field
    severity: str  # warning | critical (colour and line style in the page)
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    title: str
    unit: str
    series: tuple[Series, ...]
    y_range: tuple[Bound, Bound]
    band: tuple[Bound, Bound] | None = None
    limits: tuple[Limit, ...] = ()
    nominal: tuple[int, ...] | None = None
    default_nominal: float = 1.0
    scale: float = 1.0  # stored unit -> shown unit (runtime: s -> min)

    @property
    def fields(self) -> list[str]:
        return [s.field for s in self.series]


def _phases(prefix: str) -> tuple[Series, ...]:
    return tuple(Series(f"{prefix}_l{n}", f"L{n}") for n in (1, 2, 3))


# The charts of the UPS page, in page order. y-ranges are the least each chart shows; a
# range widens (never narrows) so that no value is drawn off the chart.
CHARTS: tuple[Chart, ...] = (
    Chart(
        "input_voltage", "Input voltage", "V", _phases("input_voltage"),
        y_range=(0.80, 1.20), band=(0.90, 1.10), nominal=VOLTAGE_NOMINALS, default_nominal=230,
    ),
    Chart(
        "output_voltage", "Output voltage", "V", _phases("output_voltage"),
        y_range=(0.80, 1.20), band=(0.95, 1.05), nominal=VOLTAGE_NOMINALS, default_nominal=230,
    ),
    Chart(
        "frequency", "Frequency", "Hz",
        (Series("input_frequency_hz", "Input"), Series("output_frequency_hz", "Output")),
        y_range=(0.94, 1.06), band=(0.99, 1.01), nominal=FREQUENCY_NOMINALS, default_nominal=50,
    ),
    Chart(
        "load", "Load (most loaded line)", "%", (Series("load_pct", "Load"),),
        y_range=(0, 120), band=(0, "load_warning_pct"),
        limits=(
            Limit("load_warning_pct", "warning", "high load"),
            Limit("load_critical_pct", "critical", "overload"),
        ),
    ),
    Chart(
        "charge", "Battery charge", "%", (Series("charge_pct", "Charge"),),
        y_range=(0, 100), band=("charge_warning_pct", 100),
        limits=(
            Limit("charge_warning_pct", "warning", "low charge (on battery)"),
            Limit("charge_critical_pct", "critical", "very low charge (on battery)"),
        ),
    ),
    Chart(
        "runtime", "Runtime remaining", "min", (Series("runtime_remaining_s", "Runtime"),),
        y_range=(0, 60 * 60), band=("runtime_warning_s", None), scale=1 / 60,
        limits=(
            Limit("runtime_warning_s", "warning", "low runtime (on battery)"),
            Limit("runtime_critical_s", "critical", "very low runtime (on battery)"),
        ),
    ),
    Chart(
        "battery_voltage", "Battery voltage", "V", (Series("battery_voltage_v", "Battery"),),
        # String voltages range from 12 V to 800 V: zero-based, the top follows the data.
        y_range=(0, None),
    ),
    Chart(
        "battery_temperature", "Battery temperature", "°C",
        (Series("battery_temperature_c", "Battery"),),
        y_range=(0, 60), band=(15, "battery_temp_warning_c"),
        limits=(
            Limit("battery_temp_warning_c", "warning", "battery warm"),
            Limit("battery_temp_critical_c", "critical", "battery hot"),
        ),
    ),
)  # fmt: skip

ALL_FIELDS: tuple[str, ...] = tuple(f for chart in CHARTS for f in chart.fields)

# Named ranges of the page's buttons; anything else is a custom start/end.
RANGES: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "1y": timedelta(days=365),
}
DEFAULT_RANGE = "24h"
MAX_SPAN = timedelta(days=5 * 366)

# Bucket widths a chart may use (seconds): round numbers, so buckets line up with hours.
NICE_WIDTHS: tuple[int, ...] = (
    5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    key: str = "custom"

    @property
    def span(self) -> timedelta:
        return self.end - self.start

    @classmethod
    def named(cls, key: str, now: datetime | None = None) -> Window:
        now = now or timezone.now()
        return cls(now - RANGES[key], now, key)


class BadWindow(ValueError):
    """A range the charts cannot show (unknown name, end before start, too long)."""


def parse_window(params: dict[str, str], now: datetime | None = None) -> Window:
    """`range=24h`, or `start` and `end` (ISO 8601; `end` defaults to now)."""
    from django.utils.dateparse import parse_datetime

    now = now or timezone.now()
    if not params.get("start"):
        key = params.get("range") or DEFAULT_RANGE
        if key not in RANGES:
            raise BadWindow(f"range must be one of {', '.join(RANGES)}, or start/end")
        return Window.named(key, now)
    times = []
    for name in ("start", "end"):
        raw = params.get(name) or ""
        value = parse_datetime(raw) if raw else now
        if value is None:
            raise BadWindow(f"{name} is not an ISO 8601 date and time: {raw!r}")
        times.append(value if timezone.is_aware(value) else timezone.make_aware(value, UTC))
    start, end = times
    if end <= start:
        raise BadWindow("end must be after start")
    if end - start > MAX_SPAN:
        raise BadWindow(f"a range may span {MAX_SPAN.days} days at most")
    return Window(start, end)


@dataclass(frozen=True, slots=True)
class Plan:
    source: Source
    width_s: int


def max_points() -> int:
    return int(settings.UNMS["TRENDS"]["MAX_POINTS"])


def plan(window: Window, now: datetime | None = None) -> Plan:
    """The bucket width that keeps a series under MAX_POINTS, and the coarsest source
    that is at least that fine and still holds data as old as the window's start."""
    now = now or timezone.now()
    needed = window.span.total_seconds() / max_points()
    width = next((w for w in NICE_WIDTHS if w >= needed), NICE_WIDTHS[-1])
    kept = [s for s in SOURCES if window.start >= now - s.retention()]
    # Raw rows are as fine as data gets, whatever the width asked for.
    fine_enough = [s for s in kept if s.is_raw or s.width_s <= width]
    if fine_enough:
        return Plan(fine_enough[-1], width)
    # Older than every retention (or finer than kept data allows): the coarsest table.
    coarsest = kept[0] if kept else SOURCES[-1]
    return Plan(coarsest, max(width, coarsest.width_s))


AGGREGATES = ("min", "avg", "max")


@dataclass
class Buckets:
    """Grouped rows: bucket start times and, per field, min/avg/max lists."""

    times: list[datetime] = field(default_factory=list)
    samples: list[int] = field(default_factory=list)
    values: dict[str, dict[str, list[float | None]]] = field(default_factory=dict)


def query_buckets(
    ups_id: int, window: Window, p: Plan, fields: Sequence[str] = ALL_FIELDS
) -> Buckets:
    sql = bucket_select(p.source, p.width_s, 1, fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, [ups_id, db_time(window.start), db_time(window.end)])
        rows = cursor.fetchall()
    # Column-wise: one transpose instead of a Python loop per value.
    columns: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else []
    if not columns:
        return Buckets(values={f: {a: [] for a in AGGREGATES} for f in fields})
    return Buckets(
        times=[datetime.fromtimestamp(int(b), tz=UTC) for b in columns[1]],
        samples=[int(n) for n in columns[2]],
        values={
            f: {a: list(columns[3 + 3 * i + j]) for j, a in enumerate(AGGREGATES)}
            for i, f in enumerate(fields)
        },
    )


def with_gaps(b: Buckets, gap_s: float) -> Buckets:
    """Insert an empty bucket where data is missing for longer than `gap_s`, so a chart
    breaks its line over an outage instead of drawing a straight line across it."""
    gaps = [
        i for i in range(1, len(b.times)) if (b.times[i] - b.times[i - 1]).total_seconds() > gap_s
    ]
    if not gaps:
        return b
    out = Buckets(values={f: {a: [] for a in aggs} for f, aggs in b.values.items()})
    bounds = [0, *gaps, len(b.times)]
    for k in range(len(bounds) - 1):
        lo, hi = bounds[k], bounds[k + 1]
        if k:  # a marker halfway through the hole
            out.times.append(b.times[lo - 1] + (b.times[lo] - b.times[lo - 1]) / 2)
            out.samples.append(0)
            for aggs in out.values.values():
                for values in aggs.values():
                    values.append(None)
        out.times += b.times[lo:hi]
        out.samples += b.samples[lo:hi]
        for f, aggs in out.values.items():
            for a, values in aggs.items():
                values += b.values[f][a][lo:hi]
    return out


def _nominal(chart: Chart, b: Buckets) -> float:
    if not chart.nominal:
        return 1.0
    averages = [v for f in chart.fields for v in b.values[f]["avg"] if v is not None]
    if not averages:
        return chart.default_nominal
    typical = statistics.median(averages)
    return float(min(chart.nominal, key=lambda n: abs(n - typical)))


def _bound(bound: Bound, thresholds: Thresholds, nominal: float) -> float | None:
    if bound is None:
        return None
    if isinstance(bound, str):
        return float(getattr(thresholds, bound))
    return float(bound) * nominal


def _nice_ceiling(value: float) -> float:
    """1, 2 or 5 times a power of ten, at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def _round(value: float | None, scale: float) -> float | None:
    return None if value is None else round(value * scale, 3)


def _y_range(
    chart: Chart, lo: float | None, hi: float | None, data: list[float]
) -> tuple[float, float]:
    """The fixed range in shown units, widened (never narrowed) to the data."""
    shown = [v * chart.scale for v in data]
    y_lo = 0.0 if lo is None else lo * chart.scale
    if shown and min(shown) < y_lo:
        y_lo = min(shown)
    if hi is None:
        # Open top (battery voltage): zero-based with headroom over the highest value.
        return y_lo, _nice_ceiling(max(shown) * 1.1) if shown else 1.0
    y_hi = hi * chart.scale
    if shown and max(shown) > y_hi:
        y_hi = _nice_ceiling(max(shown))
    return y_lo, y_hi


def _chart_json(chart: Chart, b: Buckets, thresholds: Thresholds) -> dict[str, Any]:
    series = [s for s in chart.series if any(v is not None for v in b.values[s.field]["avg"])]
    nominal = _nominal(chart, b)
    lo, hi = (_bound(x, thresholds, nominal) for x in chart.y_range)
    data = [
        v for s in series for agg in ("min", "max") for v in b.values[s.field][agg] if v is not None
    ]
    y_lo, y_hi = _y_range(chart, lo, hi, data)
    band = None
    if chart.band:
        b_lo, b_hi = (_bound(x, thresholds, nominal) for x in chart.band)
        band = [
            y_lo if b_lo is None else _round(b_lo, chart.scale),
            y_hi if b_hi is None else _round(b_hi, chart.scale),
        ]
    return {
        "key": chart.key,
        "title": chart.title,
        "unit": chart.unit,
        "nominal": nominal if chart.nominal else None,
        "y_range": [round(y_lo, 3), round(y_hi, 3)],
        "band": band,
        "limits": [
            {
                "value": _round(float(getattr(thresholds, limit.threshold)), chart.scale),
                "severity": limit.severity,
                "label": limit.label,
            }
            for limit in chart.limits
        ],
        "series": [
            {
                "key": s.field,
                "label": s.label,
                **{
                    # Inline rounding: this is the hot loop (13 series x 3 x 2 000 values).
                    agg: [
                        None if v is None else round(v * chart.scale, 3)
                        for v in b.values[s.field][agg]
                    ]
                    for agg in AGGREGATES
                },
            }
            for s in series
        ],
    }


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def chart_data(ups: Ups, window: Window, now: datetime | None = None) -> dict[str, Any]:
    """The charts of one UPS over `window`: one query, at most MAX_POINTS per series."""
    p = plan(window, now)
    buckets = query_buckets(ups.pk, window, p)
    native = ups.poll_interval_s if p.source.width_s < 60 else p.source.width_s
    buckets = with_gaps(buckets, max(2 * p.width_s, 3 * native))
    thresholds = Thresholds.from_overrides(ups.threshold_overrides or {})
    charts = [_chart_json(chart, buckets, thresholds) for chart in CHARTS]
    return {
        "ups": {"id": ups.pk, "name": ups.name},
        "range": {"key": window.key, "start": iso(window.start), "end": iso(window.end)},
        "source": p.source.name,
        "bucket_s": p.width_s,
        "points": len(buckets.times),
        "t": [iso(t) for t in buckets.times],
        "samples": buckets.samples,
        "charts": charts,
    }


def csv_rows(data: dict[str, Any]) -> list[list[Any]]:
    """The series of `chart_data` as a table: time, then min/avg/max of each series."""
    header: list[Any] = ["time (UTC)", "samples"]
    columns: list[list[Any]] = []
    for chart in data["charts"]:
        for s in chart["series"]:
            for agg in ("min", "avg", "max"):
                header.append(f"{s['key']} {agg} ({chart['unit']})")
                columns.append(s[agg])
    rows = [header]
    for i, t in enumerate(data["t"]):
        if data["samples"][i] == 0:
            continue  # a gap marker, not data
        rows.append([t, data["samples"][i], *("" if c[i] is None else c[i] for c in columns)])
    return rows
