"""The periodic rollup: correct, incremental (old buckets are not re-read), idempotent;
and the retention purge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from monitoring.models import Measurement, Rollup1h, Rollup5m, Ups, UpsStatus
from monitoring.rollups import R5M, RAW, purge_all, rollup, rollup_all
from tests.factories import UpsFactory
from tests.trends.conftest import T0, Writer, at


def _snapshot(model: Any) -> list[tuple[Any, ...]]:
    return list(
        model.objects.order_by("ups_id", "bucket").values_list(
            "ups_id", "bucket", "samples", "load_pct_min", "load_pct_avg", "load_pct_max"
        )
    )


def test_five_minute_rows(ups: Ups, write: Writer) -> None:
    write([(0, 10), (30, 20), (60, 60), (300, 5)])
    write([(90, None)], reachable=False)
    assert rollup(R5M, now=at(600)) == 2
    assert _snapshot(Rollup5m) == [(ups.pk, at(0), 3, 10, 30, 60), (ups.pk, at(300), 1, 5, 5, 5)]


def test_hour_rows_are_merged_from_five_minutes_with_weights(ups: Ups, write: Writer) -> None:
    # 10 polls at 10 in the first 5 minutes, 1 poll at 100 later: the hour's mean is
    # (10*10 + 100) / 11, not the mean of the two 5-minute means (55).
    write([(s, 10) for s in range(0, 300, 30)] + [(1800, 100)])
    rollup_all(now=at(3 * 3600))
    (row,) = _snapshot(Rollup1h)
    assert row[2:] == (11, 10, pytest.approx(200 / 11), 100)


def test_idempotent(ups: Ups, write: Writer) -> None:
    write([(s, s % 50) for s in range(0, 7200, 30)])
    rollup_all(now=at(7200))
    first = (_snapshot(Rollup5m), _snapshot(Rollup1h))
    rollup_all(now=at(7200))
    rollup_all(now=at(7200))
    assert (_snapshot(Rollup5m), _snapshot(Rollup1h)) == first


def test_incremental_only_recent_buckets_are_recomputed(ups: Ups, write: Writer) -> None:
    write([(s, 10) for s in range(0, 3600, 30)])
    rollup(R5M, now=at(3600))
    assert Rollup5m.objects.count() == 12
    # Tamper with an old, final bucket: an incremental run must not touch it.
    Rollup5m.objects.filter(bucket=at(0)).update(load_pct_max=999)
    write([(s, 20) for s in range(3600, 4200, 30)])
    rollup(R5M, now=at(4200))
    assert Rollup5m.objects.values_list("load_pct_max", flat=True).get(bucket=at(0)) == 999
    assert Rollup5m.objects.count() == 14
    assert Rollup5m.objects.values_list("load_pct_avg", flat=True).get(bucket=at(3900)) == 20


def test_current_bucket_is_recomputed_until_complete(ups: Ups, write: Writer) -> None:
    write([(0, 10)])
    rollup(R5M, now=at(60))
    assert _snapshot(Rollup5m)[0][2:] == (1, 10, 10, 10)
    write([(90, 30)])  # same bucket, arrived after the first run
    rollup(R5M, now=at(120))
    assert _snapshot(Rollup5m)[0][2:] == (2, 10, 20, 30)


def test_late_poll_within_grace_is_counted(ups: Ups, write: Writer) -> None:
    write([(0, 10), (310, 10)])
    rollup(R5M, now=at(320))
    # A poll stamped in the previous bucket lands after it closed (a slow agent).
    write([(290, 70)])
    rollup(R5M, now=at(330))
    assert _snapshot(Rollup5m)[0][2:] == (2, 10, 40, 70)


def test_every_ups_is_rolled_up(db: None) -> None:
    upses = UpsFactory.create_batch(3)
    Measurement.objects.bulk_create(
        Measurement(ups=u, taken_at=at(i), reachable=True, state="ok", load_pct=float(i))
        for i, u in enumerate(upses)
    )
    rollup_all(now=at(600))
    assert sorted(Rollup5m.objects.values_list("ups_id", flat=True)) == sorted(u.pk for u in upses)


def test_nothing_to_do(db: None) -> None:
    assert rollup_all(now=at(0)) == {"5m": 0, "1h": 0}


def test_purge_respects_each_retention(ups: Ups, write: Writer) -> None:
    now = T0 + timedelta(days=400)
    old, recent = -1, 400 * 86400 - 3600  # seconds after T0
    write([(old, 1), (recent, 2)])
    Rollup5m.objects.bulk_create(
        Rollup5m(ups=ups, bucket=now - timedelta(days=d), samples=1) for d in (367, 1)
    )
    Rollup1h.objects.bulk_create(
        Rollup1h(ups=ups, bucket=now - timedelta(days=d), samples=1) for d in (5 * 366 + 1, 367)
    )
    assert purge_all(now=now) == {"raw": 1, "5m": 1, "1h": 1}
    assert list(Measurement.objects.values_list("load_pct", flat=True)) == [2]
    assert Rollup5m.objects.count() == 1
    assert Rollup1h.objects.count() == 1


def test_purge_keeps_the_measurement_the_status_shows(ups: Ups, write: Writer) -> None:
    (last,) = write([(0, 5)])
    UpsStatus.objects.create(ups=ups, measurement=last)
    assert purge_all(now=T0 + timedelta(days=90))["raw"] == 0
    assert Measurement.objects.filter(pk=last.pk).exists()


def test_purge_deletes_in_batches(ups: Ups, write: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monitoring.rollups.PURGE_BATCH", 7)
    write([(s, 1) for s in range(0, 30 * 50, 30)])
    assert purge_all(now=T0 + timedelta(days=31))["raw"] == 50
    assert not Measurement.objects.exists()


def test_retention_setting_is_read(ups: Ups, write: Writer, settings: Any) -> None:
    settings.UNMS = {
        **settings.UNMS,
        "TRENDS": {**settings.UNMS["TRENDS"], "RAW_RETENTION_DAYS": 2},
    }
    write([(0, 1)])
    assert RAW.retention() == timedelta(days=2)
    assert purge_all(now=T0 + timedelta(days=3))["raw"] == 1


def test_periodic_tasks_are_scheduled_and_run(ups: Ups, write: Writer) -> None:
    tasks = {path for _, path, _ in settings.PERIODIC_TASKS}
    assert {
        "monitoring.tasks.rollup_measurements",
        "monitoring.tasks.purge_old_measurements",
    } <= tasks
    for path in tasks & {
        "monitoring.tasks.rollup_measurements",
        "monitoring.tasks.purge_old_measurements",
    }:
        assert callable(import_string(path))
    write([(0, 1)])
    assert import_string("monitoring.tasks.rollup_measurements")()["5m"] >= 1
    assert (
        import_string("monitoring.tasks.purge_old_measurements")()["raw"] == 1
    )  # T0 is long before "now"
