"""Trend test data: measurements at exact times, so bucket arithmetic is checkable."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitoring.models import Measurement, Ups
from tests.factories import MeasurementFactory, UpsFactory

# A bucket boundary for every width used here (5 min, 1 h, 1 day).
T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def ups(db: None) -> Ups:
    return UpsFactory.create(name="ups-trend")


Writer = Callable[..., list[Measurement]]


@pytest.fixture
def write(ups: Ups) -> Writer:
    """write([(seconds after T0, load), ...], **other columns) -> bulk-created rows."""

    def _write(points: Iterable[tuple[float, float | None]], **fields: Any) -> list[Measurement]:
        rows = [
            MeasurementFactory.build(ups=ups, taken_at=at(s), load_pct=load, **fields)
            for s, load in points
        ]
        return Measurement.objects.bulk_create(rows)

    return _write
