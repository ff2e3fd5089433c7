"""The traffic-light rules, table-driven, without database or network."""

from __future__ import annotations

import pytest

from monitoring.choices import BatteryStatus, ConditionKind, OutputSource, Severity, UpsState
from monitoring.readings import OutputLine, Reading
from monitoring.status import UNKNOWN, Assessment, Thresholds, assess, conditions_of

K = ConditionKind
HEALTHY = Reading(
    reachable=True,
    battery_status=BatteryStatus.NORMAL,
    output_source=OutputSource.NORMAL,
    charge_pct=100,
    runtime_remaining_s=3600,
    battery_temperature_c=25,
    output=(OutputLine(load_pct=40),),
)


def with_(**changes: object) -> Reading:
    import dataclasses

    return dataclasses.replace(HEALTHY, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("reading", "state", "kinds"),
    [
        pytest.param(HEALTHY, UpsState.OK, [], id="healthy"),
        pytest.param(
            with_(
                output_source=OutputSource.BATTERY, alarms=("OnBattery",), seconds_on_battery=120
            ),
            UpsState.WARNING,
            [K.ON_BATTERY],
            id="on-battery-is-amber",
        ),
        pytest.param(
            with_(output_source=OutputSource.BATTERY),
            UpsState.WARNING,
            [K.ON_BATTERY],
            id="on-battery-from-output-source-alone",
        ),
        pytest.param(
            with_(output_source=OutputSource.BATTERY, runtime_remaining_s=240, charge_pct=30),
            UpsState.CRITICAL,
            [K.LOW_RUNTIME, K.LOW_CHARGE, K.ON_BATTERY],
            id="on-battery-low-runtime-is-red",
        ),
        pytest.param(
            with_(charge_pct=10, runtime_remaining_s=60),
            UpsState.OK,
            [],
            id="low-charge-while-recharging-on-mains-is-fine",
        ),
        pytest.param(
            with_(battery_status=BatteryStatus.LOW, output_source=OutputSource.BATTERY),
            UpsState.CRITICAL,
            [K.LOW_BATTERY, K.ON_BATTERY],
            id="battery-status-low-without-alarm-table",
        ),
        pytest.param(
            with_(alarms=("OutputOverload",), output=(OutputLine(load_pct=112),)),
            UpsState.CRITICAL,
            [K.HIGH_LOAD, K.OUTPUT_OVERLOAD],
            id="overload",
        ),
        pytest.param(
            with_(
                output=(OutputLine(load_pct=30), OutputLine(load_pct=85), OutputLine(load_pct=20))
            ),
            UpsState.WARNING,
            [K.HIGH_LOAD],
            id="most-loaded-phase-counts",
        ),
        pytest.param(
            with_(output_source=OutputSource.BYPASS, alarms=("OnBypass",)),
            UpsState.WARNING,
            [K.ON_BYPASS],
            id="bypass-is-amber",
        ),
        pytest.param(
            with_(alarms=("TestInProgress",)), UpsState.OK, [K.TEST_IN_PROGRESS], id="test-is-info"
        ),
        pytest.param(
            with_(battery_temperature_c=47),
            UpsState.CRITICAL,
            [K.HIGH_BATTERY_TEMPERATURE],
            id="hot",
        ),
        pytest.param(
            with_(alarms=("GeneralFault", "1.3.6.1.4.1.9999.1")),
            UpsState.CRITICAL,
            [K.GENERAL_FAULT],
            id="unknown-alarm-oid-ignored-by-status",
        ),
        pytest.param(
            Reading(reachable=True),
            UpsState.OK,
            [],
            id="partial-agent-reports-nothing-wrong",
        ),
    ],
)
def test_reading_gives_state_and_conditions(
    reading: Reading, state: UpsState, kinds: list[ConditionKind]
) -> None:
    result = assess(reading, UNKNOWN)
    assert result.state == state
    assert [c.kind for c in result.conditions] == kinds


def test_on_battery_reason_says_how_long_and_how_much_is_left() -> None:
    reading = with_(
        output_source=OutputSource.BATTERY, seconds_on_battery=180, runtime_remaining_s=720
    )
    (condition,) = conditions_of(reading, Thresholds())
    assert condition.reason == "on battery for 3 min, 12 min left"


def test_comm_lost_only_after_three_consecutive_failures() -> None:
    failed = Reading.unreachable("no response")
    ok = assess(HEALTHY, UNKNOWN)
    first = assess(failed, ok)
    second = assess(failed, first)
    third = assess(failed, second)
    assert (first.state, second.state, third.state) == (
        UpsState.OK,
        UpsState.OK,
        UpsState.COMM_LOST,
    )
    assert third.consecutive_failures == 3
    assert third.conditions[0].kind == K.COMM_LOST


def test_first_good_poll_clears_comm_lost() -> None:
    lost = Assessment(UpsState.COMM_LOST, (), 7)
    result = assess(HEALTHY, lost)
    assert result.state == UpsState.OK
    assert result.consecutive_failures == 0


def test_comm_lost_threshold_is_configurable() -> None:
    result = assess(Reading.unreachable("x"), UNKNOWN, comm_lost_after=1)
    assert result.state == UpsState.COMM_LOST


def test_per_ups_threshold_override_changes_the_light() -> None:
    reading = with_(output=(OutputLine(load_pct=70),))
    assert assess(reading, UNKNOWN).state == UpsState.OK
    strict = Thresholds.from_overrides({"load_warning_pct": 60})
    assert assess(reading, UNKNOWN, strict).state == UpsState.WARNING


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nope": 1}, "unknown threshold"),
        ({"load_warning_pct": "high"}, "must be a number"),
        ({"load_warning_pct": -1}, "must not be negative"),
        ({"load_warning_pct": 120}, "load_warning_pct must not be above load_critical_pct"),
        ({"load_warning_pct": True}, "must be a number"),
    ],
)
def test_bad_threshold_overrides_are_refused_with_reason(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Thresholds.from_overrides(overrides)


def test_severity_table_covers_every_well_known_alarm() -> None:
    from monitoring.status import ALARM_SEVERITY

    derived = {K.LOW_RUNTIME, K.LOW_CHARGE, K.HIGH_LOAD, K.HIGH_BATTERY_TEMPERATURE, K.COMM_LOST}
    assert set(ALARM_SEVERITY) == set(ConditionKind) - derived
    assert ALARM_SEVERITY[K.ON_BATTERY] == Severity.WARNING
    assert ALARM_SEVERITY[K.SHUTDOWN_IMMINENT] == Severity.CRITICAL
