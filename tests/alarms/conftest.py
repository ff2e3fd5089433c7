from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from alarms import lifecycle
from monitoring.choices import BatteryStatus, OutputSource, TestResult
from monitoring.models import Ups
from monitoring.readings import OutputLine, Reading
from monitoring.recorder import PollOutcome, record
from monitoring.traps.events import TrapEvent, TrapKind
from tests.alarms.factories import T0
from tests.factories import UpsFactory

ON_MAINS = Reading(
    reachable=True,
    battery_status=BatteryStatus.NORMAL,
    seconds_on_battery=0,
    runtime_remaining_s=1800,
    charge_pct=100,
    output_source=OutputSource.NORMAL,
    output=(OutputLine(voltage_v=230, load_pct=30),),
    test_result=TestResult.DONE_PASS,
)
ON_BATTERY = replace(
    ON_MAINS, output_source=OutputSource.BATTERY, seconds_on_battery=60, alarms=("OnBattery",)
)
SELF_TEST = replace(
    ON_BATTERY, alarms=("OnBattery", "TestInProgress"), test_result=TestResult.IN_PROGRESS
)
TEST_FAILED = replace(ON_MAINS, test_result=TestResult.DONE_ERROR, test_detail="battery weak")
DEAD = Reading.unreachable("timeout")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def ups(db: None) -> Ups:
    return UpsFactory.create(name="ups-a")


@pytest.fixture
def poll(
    django_capture_on_commit_callbacks: Any,
) -> Callable[[Ups, float, Reading], PollOutcome]:
    """Record one poll at T0 + seconds and run the after-poll steps, as in production."""

    def run(ups: Ups, seconds: float, reading: Reading) -> PollOutcome:
        with django_capture_on_commit_callbacks(execute=True):
            return record(ups, reading, at(seconds))

    return run


_trap_ids = iter(range(1, 10**9))


def trap_event(ups: Ups, seconds: float, kind: TrapKind, alarm: str | None) -> TrapEvent:
    return TrapEvent(
        trap_id=next(_trap_ids),
        ups_id=ups.pk,
        received_at=at(seconds),
        kind=kind,
        alarm=alarm,
        trap_oid="1.3.6.1.2.1.33.2.1",
        varbinds={},
    )


@pytest.fixture
def trap() -> Callable[[Ups, float, TrapKind, str | None], int]:
    def run(ups: Ups, seconds: float, kind: TrapKind, alarm: str | None = None) -> int:
        return lifecycle.apply_trap_events([trap_event(ups, seconds, kind, alarm)])

    return run
