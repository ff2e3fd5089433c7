"""The traffic light: a pure function from a reading (+ what we knew before) to a state.

Every condition comes with its severity (a table, below) and a human reason such as
"on battery for 3 min, 12 min left". The UPS takes the colour of its worst condition.
No Django models, no I/O: table-driven tests cover it without a database or network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from monitoring import sensors
from monitoring.choices import BatteryStatus, ConditionKind, OutputSource, Severity, UpsState
from monitoring.readings import Reading

K = ConditionKind

# Severity of each well-known alarm when the UPS reports it. `None`: informational, it
# does not colour the icon (a self-test in progress is expected behaviour).
ALARM_SEVERITY: dict[ConditionKind, Severity | None] = {
    K.BATTERY_BAD: Severity.CRITICAL,  # the next mains failure drops the load
    K.ON_BATTERY: Severity.WARNING,
    K.LOW_BATTERY: Severity.CRITICAL,
    K.DEPLETED_BATTERY: Severity.CRITICAL,
    K.TEMP_BAD: Severity.WARNING,
    K.INPUT_BAD: Severity.WARNING,
    K.OUTPUT_BAD: Severity.CRITICAL,
    K.OUTPUT_OVERLOAD: Severity.CRITICAL,
    K.ON_BYPASS: Severity.WARNING,
    K.BYPASS_BAD: Severity.WARNING,
    K.OUTPUT_OFF_AS_REQUESTED: Severity.WARNING,
    K.UPS_OFF_AS_REQUESTED: Severity.WARNING,
    K.CHARGER_FAILED: Severity.WARNING,
    K.UPS_OUTPUT_OFF: Severity.CRITICAL,
    K.UPS_SYSTEM_OFF: Severity.CRITICAL,
    K.FAN_FAILURE: Severity.WARNING,
    K.FUSE_FAILURE: Severity.CRITICAL,
    K.GENERAL_FAULT: Severity.CRITICAL,
    K.DIAGNOSTIC_TEST_FAILED: Severity.WARNING,
    K.COMMUNICATIONS_LOST: Severity.WARNING,  # card <-> UPS link: values may be stale
    K.AWAITING_POWER: Severity.WARNING,
    K.SHUTDOWN_PENDING: Severity.CRITICAL,
    K.SHUTDOWN_IMMINENT: Severity.CRITICAL,
    K.TEST_IN_PROGRESS: None,
    # Sensor kinds: the condition carries its own severity (pre-alarm warning, alarm
    # critical; monitoring/sensors.py); these are the defaults for trap hints.
    K.SENSOR_TEMPERATURE_HIGH: Severity.WARNING,
    K.SENSOR_TEMPERATURE_LOW: Severity.WARNING,
    K.SENSOR_HUMIDITY_HIGH: Severity.WARNING,
    K.SENSOR_HUMIDITY_LOW: Severity.WARNING,
    K.SENSOR_ANALOG_HIGH: Severity.WARNING,
    K.SENSOR_ANALOG_LOW: Severity.WARNING,
    K.SENSOR_INPUT_ABNORMAL: Severity.CRITICAL,
    K.SENSOR_LOST: Severity.WARNING,
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Limits for the derived conditions; per-UPS overrides replace single fields."""

    runtime_warning_s: float = 600
    runtime_critical_s: float = 300
    charge_warning_pct: float = 50
    charge_critical_pct: float = 25
    load_warning_pct: float = 80
    load_critical_pct: float = 100
    battery_temp_warning_c: float = 35
    battery_temp_critical_c: float = 45

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any]) -> Thresholds:
        """Defaults with `overrides` applied; ValueError names any bad key or value."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown threshold(s): {', '.join(unknown)}; known: {sorted(known)}")
        values: dict[str, float] = {}
        for key, raw in overrides.items():
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise ValueError(f"threshold {key} must be a number, not {raw!r}")
            if raw < 0:
                raise ValueError(f"threshold {key} must not be negative")
            values[key] = float(raw)
        result = dataclasses.replace(cls(), **values)
        for low, high in (
            ("runtime_critical_s", "runtime_warning_s"),
            ("charge_critical_pct", "charge_warning_pct"),
            ("load_warning_pct", "load_critical_pct"),
            ("battery_temp_warning_c", "battery_temp_critical_c"),
        ):
            if getattr(result, low) > getattr(result, high):
                raise ValueError(f"{low} must not be above {high}")
        return result


@dataclass(frozen=True, slots=True)
class Condition:
    kind: ConditionKind
    severity: Severity | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": str(self.kind),
            "severity": None if self.severity is None else str(self.severity),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Condition:
        severity = data.get("severity")
        return cls(
            ConditionKind(data["kind"]),
            None if severity is None else Severity(severity),
            data["reason"],
        )


@dataclass(frozen=True, slots=True)
class Assessment:
    state: UpsState
    conditions: tuple[Condition, ...]
    consecutive_failures: int = 0

    @property
    def reasons(self) -> list[str]:
        return [c.reason for c in self.conditions if c.severity is not None]


UNKNOWN = Assessment(UpsState.UNKNOWN, ())


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _on_battery_reason(r: Reading) -> str:
    parts = ["on battery"]
    if r.seconds_on_battery:
        parts[0] += f" for {_minutes(r.seconds_on_battery)}"
    if r.runtime_remaining_s is not None:
        parts.append(f"{_minutes(r.runtime_remaining_s)} left")
    return ", ".join(parts)


def _runtime_reason(r: Reading) -> str:
    return f"{_minutes(r.runtime_remaining_s or 0)} of runtime left"


# Reasons for the alarms whose message is better with values than with the bare name.
_REASONS: dict[ConditionKind, Callable[[Reading], str]] = {
    K.ON_BATTERY: _on_battery_reason,
    K.LOW_BATTERY: lambda r: (
        "battery low"
        + (f", {_minutes(r.runtime_remaining_s)} left" if r.runtime_remaining_s is not None else "")
    ),
    K.OUTPUT_OVERLOAD: lambda r: (
        "output overload" + (f" ({r.load_pct:.0f} % load)" if r.load_pct is not None else "")
    ),
    K.ON_BYPASS: lambda r: "on bypass: load not protected",
}


def _reason(kind: ConditionKind, reading: Reading) -> str:
    formatter = _REASONS.get(kind)
    return formatter(reading) if formatter else kind.label.lower()


def _reported_conditions(reading: Reading) -> Iterable[ConditionKind]:
    """Alarms the agent reports, in its alarm table or through status objects (partial
    agents often fill only upsBatteryStatus / upsOutputSource)."""
    for name in reading.alarms:
        if name in ConditionKind.values:
            yield ConditionKind(name)
    if reading.output_source == OutputSource.BATTERY:
        yield K.ON_BATTERY
    if reading.output_source == OutputSource.BYPASS:
        yield K.ON_BYPASS
    if reading.battery_status == BatteryStatus.LOW:
        yield K.LOW_BATTERY
    if reading.battery_status == BatteryStatus.DEPLETED:
        yield K.DEPLETED_BATTERY


def _level(value: float | None, warning: float, critical: float, *, below: bool) -> Severity | None:
    if value is None:
        return None
    if below:
        if value <= critical:
            return Severity.CRITICAL
        return Severity.WARNING if value <= warning else None
    if value >= critical:
        return Severity.CRITICAL
    return Severity.WARNING if value >= warning else None


def _derived_conditions(reading: Reading, t: Thresholds) -> Iterable[Condition]:
    # Runtime and charge only matter while the load depends on the battery: on mains, a
    # recharging battery is normal and must not be an alarm.
    on_battery = reading.on_battery
    checks: list[tuple[ConditionKind, Severity | None, str]] = []
    if on_battery:
        checks.append(
            (
                K.LOW_RUNTIME,
                _level(
                    reading.runtime_remaining_s,
                    t.runtime_warning_s,
                    t.runtime_critical_s,
                    below=True,
                ),
                _runtime_reason(reading),
            )
        )
        checks.append(
            (
                K.LOW_CHARGE,
                _level(reading.charge_pct, t.charge_warning_pct, t.charge_critical_pct, below=True),
                f"battery charge {reading.charge_pct or 0:.0f} %",
            )
        )
    checks.append(
        (
            K.HIGH_LOAD,
            _level(reading.load_pct, t.load_warning_pct, t.load_critical_pct, below=False),
            f"load {reading.load_pct or 0:.0f} %",
        )
    )
    checks.append(
        (
            K.HIGH_BATTERY_TEMPERATURE,
            _level(
                reading.battery_temperature_c,
                t.battery_temp_warning_c,
                t.battery_temp_critical_c,
                below=False,
            ),
            f"battery at {reading.battery_temperature_c or 0:.0f} °C",
        )
    )
    for kind, severity, reason in checks:
        if severity is not None:
            yield Condition(kind, severity, reason)


def _sensor_conditions(reading: Reading) -> Iterable[Condition]:
    """Sensor points the poller evaluated (levels set by monitoring/sensor_store.py)."""
    results = [
        sensors.PointResult(
            name=s.name or f"{s.kind} {s.channel}",
            quantity=s.quantity or s.kind,
            level=sensors.Level(s.level),
            value=s.value,
            unit=s.unit or "",
            severity=Severity(s.severity) if s.severity else None,
        )
        for s in reading.sensors
        if s.level is not None
    ]
    for kind, severity, reason in sensors.conditions(results):
        yield Condition(kind, severity, reason)


def conditions_of(reading: Reading, thresholds: Thresholds) -> tuple[Condition, ...]:
    """All conditions present in one good reading, worst first, one per kind."""
    found: dict[ConditionKind, Condition] = {}
    for kind in _reported_conditions(reading):
        found.setdefault(kind, Condition(kind, ALARM_SEVERITY.get(kind), _reason(kind, reading)))
    for condition in _derived_conditions(reading, thresholds):
        found.setdefault(condition.kind, condition)
    for condition in _sensor_conditions(reading):
        found.setdefault(condition.kind, condition)
    return tuple(sorted(found.values(), key=_worst_first))


def _worst_first(c: Condition) -> tuple[int, str]:
    return (-(c.severity.rank if c.severity else 0), c.kind)


def state_of(conditions: Iterable[Condition]) -> UpsState:
    worst = max((c.severity for c in conditions if c.severity), key=lambda s: s.rank, default=None)
    return UpsState.for_severity(worst)


def assess(
    reading: Reading,
    previous: Assessment,
    thresholds: Thresholds | None = None,
    *,
    comm_lost_after: int = 3,
) -> Assessment:
    """The new state of a UPS after one poll.

    A failed poll counts; the state changes to comm lost only after `comm_lost_after`
    consecutive failures (one lost UDP packet is not an outage). Until then the UPS keeps
    what was known. The first good reading clears comm lost at once.
    """
    if not reading.reachable:
        failures = previous.consecutive_failures + 1
        if failures < comm_lost_after:
            return dataclasses.replace(previous, consecutive_failures=failures)
        lost = Condition(
            K.COMM_LOST,
            Severity.CRITICAL,
            f"no answer to {failures} consecutive polls"
            + (f" ({reading.error})" if reading.error else ""),
        )
        return Assessment(UpsState.COMM_LOST, (lost,), failures)
    conditions = conditions_of(reading, thresholds or Thresholds())
    return Assessment(state_of(conditions), conditions, 0)
