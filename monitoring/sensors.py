"""Environmental sensor points: engineering units, threshold levels with hysteresis, and
the conditions they raise. Pure: the poller (monitoring/sensor_store.py) loads the
points and their previous levels, this module decides.

A point's value is `card value / divisor + offset` (the card's scale divisor and offset,
as the admin copies them from the card's setup, e.g. a 0-10 V input for 0-50 °C).
Levels, worst first per side: alarm (critical) then pre-alarm (warning). A level is
entered when the value reaches its threshold and left only when the value is back by
more than the hysteresis, so a value wobbling around a limit does not chatter.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from monitoring.choices import ConditionKind, Severity
from monitoring.profiles import SensorKind
from monitoring.readings import SensorSample

K = ConditionKind


class Level(StrEnum):
    NORMAL = "normal"
    HIGH_WARNING = "high_warning"
    HIGH_ALARM = "high_alarm"
    LOW_WARNING = "low_warning"
    LOW_ALARM = "low_alarm"
    ABNORMAL = "abnormal"  # digital input not in its normal state
    LOST = "lost"  # configured, but the card did not report it
    UNKNOWN = "unknown"  # not evaluated (no thresholds, digital output)


@dataclass(frozen=True, slots=True)
class Limits:
    """Thresholds of one analog point; None = not used."""

    low_alarm: float | None = None
    low_warning: float | None = None
    high_warning: float | None = None
    high_alarm: float | None = None
    hysteresis: float = 0.0

    def validate(self) -> None:
        """ValueError naming the first inconsistency (admin form, model clean)."""
        if self.hysteresis < 0:
            raise ValueError("hysteresis must not be negative")
        order = [
            ("low_alarm", self.low_alarm),
            ("low_warning", self.low_warning),
            ("high_warning", self.high_warning),
            ("high_alarm", self.high_alarm),
        ]
        present = [(name, v) for name, v in order if v is not None]
        for (a, va), (b, vb) in itertools.pairwise(present):
            if va >= vb:
                raise ValueError(f"{a} ({va:g}) must be below {b} ({vb:g})")


# (level, which limit, side): evaluated worst first; side +1 = high, -1 = low.
_STEPS: Final = (
    (Level.HIGH_ALARM, "high_alarm", +1),
    (Level.LOW_ALARM, "low_alarm", -1),
    (Level.HIGH_WARNING, "high_warning", +1),
    (Level.LOW_WARNING, "low_warning", -1),
)
# A level "holds" the ones below it on the same side (hysteresis applies to both).
_HOLDS: Final[Mapping[Level, frozenset[Level]]] = {
    Level.HIGH_ALARM: frozenset({Level.HIGH_ALARM}),
    Level.HIGH_WARNING: frozenset({Level.HIGH_ALARM, Level.HIGH_WARNING}),
    Level.LOW_ALARM: frozenset({Level.LOW_ALARM}),
    Level.LOW_WARNING: frozenset({Level.LOW_ALARM, Level.LOW_WARNING}),
}


def engineering(value: float, divisor: float = 1.0, offset: float = 0.0) -> float:
    return round(value / divisor + offset, 6)


def analog_level(value: float | None, limits: Limits, previous: Level = Level.NORMAL) -> Level:
    """The level of `value`: entered at the threshold, left beyond it by the hysteresis."""
    if value is None:
        return Level.LOST
    for level, name, side in _STEPS:
        limit = getattr(limits, name)
        if limit is None:
            continue
        reached = value >= limit if side > 0 else value <= limit
        held = previous in _HOLDS[level] and (
            value > limit - limits.hysteresis if side > 0 else value < limit + limits.hysteresis
        )
        if reached or held:
            return level
    return Level.NORMAL


def digital_level(value: float | None, normal_state: int | None) -> Level:
    if value is None:
        return Level.LOST
    if normal_state is None:
        return Level.UNKNOWN
    return Level.NORMAL if int(value) == normal_state else Level.ABNORMAL


# (what the point measures, side) → condition kind
_KINDS: Final[Mapping[tuple[str, int], ConditionKind]] = {
    (SensorKind.TEMPERATURE, +1): K.SENSOR_TEMPERATURE_HIGH,
    (SensorKind.TEMPERATURE, -1): K.SENSOR_TEMPERATURE_LOW,
    (SensorKind.HUMIDITY, +1): K.SENSOR_HUMIDITY_HIGH,
    (SensorKind.HUMIDITY, -1): K.SENSOR_HUMIDITY_LOW,
    (SensorKind.ANALOG, +1): K.SENSOR_ANALOG_HIGH,
    (SensorKind.ANALOG, -1): K.SENSOR_ANALOG_LOW,
}
# level → (side, severity); digital and lost are handled apart
LEVEL_SEVERITY: Final[Mapping[Level, tuple[int, Severity]]] = {
    Level.HIGH_WARNING: (+1, Severity.WARNING),
    Level.HIGH_ALARM: (+1, Severity.CRITICAL),
    Level.LOW_WARNING: (-1, Severity.WARNING),
    Level.LOW_ALARM: (-1, Severity.CRITICAL),
}


@dataclass(frozen=True, slots=True)
class PointResult:
    """One evaluated point, as status.py turns it into a condition."""

    name: str
    quantity: str  # SensorKind value: what the point measures
    level: Level
    value: float | None
    unit: str = ""
    severity: Severity | None = None  # digital inputs: the point's own severity


def condition_kind(result: PointResult) -> tuple[ConditionKind, Severity] | None:
    if result.level == Level.LOST:
        return K.SENSOR_LOST, Severity.WARNING
    if result.level == Level.ABNORMAL:
        return K.SENSOR_INPUT_ABNORMAL, result.severity or Severity.CRITICAL
    side_severity = LEVEL_SEVERITY.get(result.level)
    if side_severity is None:
        return None
    side, severity = side_severity
    kind = _KINDS.get((result.quantity, side), _KINDS[(SensorKind.ANALOG, side)])
    return kind, severity


def describe(result: PointResult) -> str:
    if result.level == Level.LOST:
        return f"{result.name}: not reported by the card"
    if result.level == Level.ABNORMAL:
        return f"{result.name}: not in its normal state"
    value = "?" if result.value is None else f"{result.value:g}"
    unit = f" {result.unit}" if result.unit else ""
    return f"{result.name} {value}{unit} ({result.level.replace('_', ' ')})"


def conditions(results: Iterable[PointResult]) -> list[tuple[ConditionKind, Severity, str]]:
    """One (kind, worst severity, reason naming every point) per condition kind."""
    grouped: dict[ConditionKind, tuple[Severity, list[str]]] = {}
    for result in results:
        found = condition_kind(result)
        if found is None:
            continue
        kind, severity = found
        worst, reasons = grouped.get(kind, (severity, []))
        if severity.rank > worst.rank:
            worst = severity
        grouped[kind] = (worst, [*reasons, describe(result)])
    return [(kind, sev, "; ".join(reasons)) for kind, (sev, reasons) in grouped.items()]


def sample_key(kind: str, channel: int) -> str:
    """How a point names its source channel: "analog.3", "temperature.1"."""
    return f"{kind}.{channel}"


def samples_by_key(samples: Sequence[SensorSample]) -> dict[str, SensorSample]:
    return {sample_key(s.kind, s.channel): s for s in samples}
