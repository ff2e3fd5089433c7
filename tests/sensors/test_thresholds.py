"""Sensor levels with pre-alarm/alarm limits and hysteresis, as a table."""

from __future__ import annotations

import pytest

from monitoring.choices import ConditionKind, Severity
from monitoring.sensors import Level, Limits, PointResult, analog_level, conditions, digital_level

L = Limits(low_alarm=10, low_warning=15, high_warning=35, high_alarm=40, hysteresis=2)
N, HW, HA, LW, LA = (
    Level.NORMAL,
    Level.HIGH_WARNING,
    Level.HIGH_ALARM,
    Level.LOW_WARNING,
    Level.LOW_ALARM,
)


@pytest.mark.parametrize(
    ("value", "previous", "expected"),
    [
        (25, N, N),
        (35, N, HW),  # reaching the limit enters
        (34, HW, HW),  # within the hysteresis: held
        (33, HW, N),  # back by more than the hysteresis: left
        (40, HW, HA),
        (39, HA, HA),  # held
        (38, HA, HW),  # left the alarm, still above the pre-alarm
        (34, HA, HW),  # HA holds HW too (34 > 35 - 2)
        (15, N, LW),
        (16, LW, LW),
        (17, LW, N),
        (10, LW, LA),
        (11.5, LA, LA),
        (12, LA, LW),
        (None, N, Level.LOST),
    ],
)
def test_analog_levels_with_hysteresis(
    value: float | None, previous: Level, expected: Level
) -> None:
    assert analog_level(value, L, previous) == expected


def test_unused_limits_are_skipped() -> None:
    assert analog_level(99, Limits(high_alarm=100), N) == N
    assert analog_level(100, Limits(high_alarm=100), N) == HA


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (Limits(high_warning=40, high_alarm=35), "high_warning"),
        (Limits(low_alarm=20, low_warning=10), "low_alarm"),
        (Limits(hysteresis=-1), "hysteresis"),
    ],
)
def test_inconsistent_limits_are_refused(limits: Limits, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        limits.validate()


@pytest.mark.parametrize(
    ("value", "normal", "expected"),
    [(0, 0, Level.NORMAL), (1, 0, Level.ABNORMAL), (0, 1, Level.ABNORMAL), (None, 0, Level.LOST)],
)
def test_digital_inputs_against_their_normal_state(
    value: float | None, normal: int, expected: Level
) -> None:
    assert digital_level(value, normal) == expected


def test_conditions_group_points_by_kind_with_the_worst_severity() -> None:
    found = conditions(
        [
            PointResult("Rack A", "temperature", HW, 36, "°C"),
            PointResult("Rack B", "temperature", HA, 41, "°C"),
            PointResult("Door", "digital_in", Level.ABNORMAL, 1, severity=Severity.WARNING),
            PointResult("Pressure", "analog", LA, 0.2, "bar"),
        ]
    )

    by_kind = {kind: (sev, reason) for kind, sev, reason in found}
    sev, reason = by_kind[ConditionKind.SENSOR_TEMPERATURE_HIGH]
    assert sev == Severity.CRITICAL
    assert "Rack A 36 °C" in reason
    assert "Rack B 41 °C" in reason
    assert by_kind[ConditionKind.SENSOR_INPUT_ABNORMAL][0] == Severity.WARNING
    assert by_kind[ConditionKind.SENSOR_ANALOG_LOW][0] == Severity.CRITICAL
