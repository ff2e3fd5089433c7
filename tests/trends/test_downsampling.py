"""Bucket min/avg/max from every source, the source/width plan, gaps and the chart JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from monitoring.models import Measurement, Ups
from monitoring.rollups import R1H, R5M, RAW, rollup_all
from monitoring.trends import (
    CHARTS,
    NICE_WIDTHS,
    Buckets,
    Plan,
    Window,
    chart_data,
    csv_rows,
    plan,
    query_buckets,
    with_gaps,
)
from tests.trends.conftest import T0, Writer, at

# (polls as (seconds, load), bucket width) -> [(bucket offset s, samples, min, avg, max)]
Bucket = tuple[int, int, float, float, float]
BUCKET_CASES: list[tuple[str, list[tuple[float, float | None]], int, list[Bucket]]] = [
    ("one poll", [(0, 40)], 300, [(0, 1, 40, 40, 40)]),
    ("three in a bucket", [(0, 10), (30, 20), (60, 60)], 300, [(0, 3, 10, 30, 60)]),
    ("split at the boundary", [(299, 10), (300, 20)], 300, [(0, 1, 10, 10, 10), (300, 1, 20, 20, 20)]),  # noqa: E501
    ("empty bucket skipped", [(0, 10), (900, 30)], 300, [(0, 1, 10, 10, 10), (900, 1, 30, 30, 30)]),
    ("null value ignored in avg", [(0, 10), (30, None), (60, 20)], 300, [(0, 3, 10, 15, 20)]),
    ("hour bucket", [(0, 1), (1800, 2), (3599, 6)], 3600, [(0, 3, 1, 3, 6)]),
    ("5-second buckets", [(0, 5), (10, 7)], 5, [(0, 1, 5, 5, 5), (10, 1, 7, 7, 7)]),
]  # fmt: skip


def _rows(
    b: Buckets, field: str = "load_pct"
) -> list[tuple[int, int, float | None, object, float | None]]:
    v = b.values[field]
    return [
        (int((t - T0).total_seconds()), n, v["min"][i], pytest.approx(v["avg"][i]), v["max"][i])
        for i, (t, n) in enumerate(zip(b.times, b.samples, strict=True))
    ]


@pytest.mark.parametrize(
    ("polls", "width", "expected"), [c[1:] for c in BUCKET_CASES], ids=[c[0] for c in BUCKET_CASES]
)
def test_raw_buckets(ups: Ups, write: Writer, polls: Any, width: int, expected: Any) -> None:
    write(polls)
    window = Window(at(-3600), at(7200))
    assert _rows(query_buckets(ups.pk, window, Plan(RAW, width), ["load_pct"])) == expected


def test_unreachable_polls_do_not_count(ups: Ups, write: Writer) -> None:
    write([(0, 10), (30, 20)])
    write([(60, None)], reachable=False)
    b = query_buckets(ups.pk, Window(T0, at(300)), Plan(RAW, 300), ["load_pct"])
    assert b.samples == [2]


@pytest.mark.parametrize("width", [300, 3600, 21600])
def test_rollups_give_the_same_buckets_as_raw(ups: Ups, write: Writer, width: int) -> None:
    """5 min and 1 h rollups merged to a width equal the raw aggregate at that width."""
    # Uneven values and counts per 5-minute bucket, so a plain mean of means would differ.
    polls = [
        (s, float((s * 7) % 97)) for s in range(0, 6 * 3600, 30) if s % 1800 < 1500 or s % 90 == 0
    ]
    write(polls)
    rollup_all(now=at(7 * 3600))
    window = Window(T0, at(6 * 3600))
    raw = _rows(query_buckets(ups.pk, window, Plan(RAW, width), ["load_pct"]))
    for source in (R5M, R1H):
        if source.width_s <= width:
            assert _rows(query_buckets(ups.pk, window, Plan(source, width), ["load_pct"])) == raw


# span -> (source, width): the named ranges stay under MAX_POINTS from the coarsest
# table that is fine enough.
PLAN_CASES = [
    (timedelta(hours=1), "raw", 5),
    (timedelta(hours=24), "raw", 60),
    (timedelta(days=7), "5m", 600),
    (timedelta(days=30), "5m", 1800),
    (timedelta(days=365), "1h", 21600),
]


@pytest.mark.parametrize(("span", "source", "width"), PLAN_CASES)
def test_plan_named_ranges(span: timedelta, source: str, width: int) -> None:
    p = plan(Window(at(0) - span, at(0)), now=at(0))
    assert (p.source.name, p.width_s) == (source, width)
    assert span.total_seconds() / p.width_s <= 2000


def test_plan_falls_back_when_raw_data_is_purged() -> None:
    # One hour, 60 days ago: raw rows are gone (30-day retention), the 5-minute table has it.
    now = at(0)
    p = plan(Window(now - timedelta(days=60), now - timedelta(days=60) + timedelta(hours=1)), now)
    assert (p.source.name, p.width_s) == ("5m", 300)
    old = plan(Window(now - timedelta(days=800), now - timedelta(days=799)), now)
    assert old.source.name == "1h"


def test_plan_never_exceeds_max_points(settings: Any) -> None:
    for days in (0.01, 0.5, 2, 5, 13, 45, 90, 200, 366, 1000):
        p = plan(Window(at(0) - timedelta(days=days), at(0)), now=at(0))
        assert (
            timedelta(days=days).total_seconds() / p.width_s <= 2000 or p.width_s == NICE_WIDTHS[-1]
        )


def test_gaps_break_lines() -> None:
    b = Buckets(
        times=[at(0), at(60), at(600)],
        samples=[1, 1, 1],
        values={
            "load_pct": {"min": [1.0, 2.0, 3.0], "avg": [1.0, 2.0, 3.0], "max": [1.0, 2.0, 3.0]}
        },
    )
    out = with_gaps(b, 120)
    assert out.samples == [1, 1, 0, 1]
    assert out.values["load_pct"]["avg"] == [1.0, 2.0, None, 3.0]


def _chart(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in data["charts"] if c["key"] == key)


def test_chart_json_shape(ups: Ups, write: Writer) -> None:
    write([(s, 30.0) for s in range(0, 3600, 30)], input_voltage_l1=231.0, runtime_remaining_s=1200)
    data = chart_data(ups, Window(T0, at(3600), "1h"), now=at(3600))
    assert set(data) == {"ups", "range", "source", "bucket_s", "points", "t", "samples", "charts"}
    assert data["source"] == "raw"
    assert data["points"] == 120 == len(data["t"])
    assert data["t"][0] == "2026-03-01T00:00:00Z"
    assert [c["key"] for c in data["charts"]] == [c.key for c in CHARTS]
    for chart in data["charts"]:
        assert {"key", "title", "unit", "y_range", "band", "limits", "series", "nominal"} <= set(
            chart
        )
        for s in chart["series"]:
            assert len(s["min"]) == len(s["avg"]) == len(s["max"]) == data["points"]
    # Single-phase: only L1 is drawn.
    assert [s["label"] for s in _chart(data, "input_voltage")["series"]] == ["L1"]
    load = _chart(data, "load")
    assert load["y_range"] == [0, 120]
    assert load["band"] == [0, 80]
    assert [(lim["value"], lim["severity"]) for lim in load["limits"]] == [
        (80, "warning"),
        (100, "critical"),
    ]
    runtime = _chart(data, "runtime")
    assert runtime["unit"] == "min"
    assert runtime["series"][0]["avg"][0] == 20
    assert runtime["band"] == [10, 60]


def test_fixed_ranges_follow_nominal_and_thresholds(ups: Ups, write: Writer) -> None:
    ups.threshold_overrides = {"load_warning_pct": 70}
    ups.save()
    write([(0, 20)], input_voltage_l1=118.0, input_frequency_hz=60.1, output_frequency_hz=60.0)
    data = chart_data(ups, Window(T0, at(3600)), now=at(3600))
    voltage = _chart(data, "input_voltage")
    assert voltage["nominal"] == 120
    assert voltage["y_range"] == [96, 144]
    assert voltage["band"] == [108, 132]
    assert _chart(data, "frequency")["nominal"] == 60
    assert _chart(data, "load")["band"] == [0, 70]


def test_range_widens_to_keep_values_visible(ups: Ups, write: Writer) -> None:
    write([(0, 150.0)], input_voltage_l1=0.0, runtime_remaining_s=5400)
    data = chart_data(ups, Window(T0, at(3600)), now=at(3600))
    assert _chart(data, "load")["y_range"] == [0, 200]
    assert _chart(data, "input_voltage")["y_range"][0] == 0
    assert _chart(data, "runtime")["y_range"] == [0, 100]


def test_csv_rows_match_the_chart(ups: Ups, write: Writer) -> None:
    write([(0, 10.0), (30, 30.0), (900, 50.0)])
    data = chart_data(ups, Window(T0, at(3600)), now=at(3600))
    rows = csv_rows(data)
    header = rows[0]
    assert header[:2] == ["time (UTC)", "samples"]
    assert "load_pct avg (%)" in header
    column = header.index("load_pct avg (%)")
    # Gap markers are not exported: only buckets with data.
    assert [(r[0], r[column]) for r in rows[1:]] == [
        ("2026-03-01T00:00:00Z", 10.0),
        ("2026-03-01T00:00:30Z", 30.0),
        ("2026-03-01T00:15:00Z", 50.0),
    ]


def test_empty_ups_gives_empty_series(ups: Ups) -> None:
    data = chart_data(ups, Window(T0, at(3600)), now=at(3600))
    assert data["points"] == 0
    assert all(c["series"] == [] for c in data["charts"])
    assert Measurement.objects.count() == 0


def test_integer_columns_average_as_floats(ups: Ups, write: Writer) -> None:
    write([(0, 1)], runtime_remaining_s=1200)
    write([(30, 1)], runtime_remaining_s=1201)
    b = query_buckets(ups.pk, Window(T0, at(300)), Plan(RAW, 300), ["runtime_remaining_s"])
    assert b.values["runtime_remaining_s"]["avg"] == [1200.5]


def test_several_gaps(ups: Ups, write: Writer) -> None:
    write([(0, 1), (30, 2), (600, 3), (1200, 4), (1230, 5)])
    data = chart_data(ups, Window(T0, at(1800)), now=at(1800))
    assert data["samples"] == [1, 1, 0, 1, 0, 1, 1]
    load = next(c for c in data["charts"] if c["key"] == "load")["series"][0]["avg"]
    assert load == [1, 2, None, 3, None, 4, 5]
