"""Sanity rules as data: values no real UPS can have are withheld, not shown or alarmed on.

A card that reports 2 369 V on a 230 V output, a charge of -1 % or a runtime of 0 while
the battery is full is misconfigured or mis-scaled (ups-mib.md: scaling is the most
common bug in peer tools). Showing that value would be wrong, alarming on it worse.
`check` sets such values to None ("not reported") and says why in
`Reading.suspicious`, which the UPS page shows as a per-UPS note so an administrator
can add a profile override. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from monitoring.profiles import LINE_TABLES
from monitoring.readings import Reading


@dataclass(frozen=True, slots=True)
class Range:
    """`field` must lie within [low, high] (physical limits, any UPS)."""

    field: str
    low: float
    high: float
    unit: str


@dataclass(frozen=True, slots=True)
class Relative:
    """`field` must not exceed `factor` x the nominal value in `nominal` (when known)."""

    field: str
    nominal: str
    factor: float
    unit: str


@dataclass(frozen=True, slots=True)
class Contradiction:
    """`field` is withheld when `field op value` and `other other_op other_value` both hold."""

    field: str
    op: str
    value: float
    other: str
    other_op: str
    other_value: float
    why: str


OPS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "eq": operator.eq,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}

RANGES: tuple[Range, ...] = (
    Range("charge_pct", 0, 100, "%"),
    Range("runtime_remaining_s", 0, 7 * 24 * 3600, "s"),  # a week: no UPS battery lasts longer
    Range("seconds_on_battery", 0, 30 * 24 * 3600, "s"),
    Range("battery_temperature_c", -40, 100, "°C"),  # Socomec reports 300 (centreon#626)
    Range("battery_voltage_v", 0, 1500, "V"),
    Range("input.voltage_v", 0, 700, "V"),  # 400 V phase-to-phase plus generous margin
    Range("output.voltage_v", 0, 700, "V"),
    Range("bypass.voltage_v", 0, 700, "V"),
    Range("input.frequency_hz", 0, 100, "Hz"),
    Range("output_frequency_hz", 0, 100, "Hz"),
    Range("bypass_frequency_hz", 0, 100, "Hz"),
    Range("output.load_pct", 0, 300, "%"),
    Range("input.current_a", 0, 10000, "A"),
    Range("output.current_a", 0, 10000, "A"),
)

RELATIVES: tuple[Relative, ...] = (
    Relative("output.voltage_v", "nominal.output_voltage_v", 1.5, "V"),
    Relative("input.voltage_v", "nominal.input_voltage_v", 1.5, "V"),
    Relative("bypass.voltage_v", "nominal.input_voltage_v", 1.5, "V"),
)

CONTRADICTIONS: tuple[Contradiction, ...] = (
    Contradiction(
        "runtime_remaining_s", "eq", 0, "charge_pct", "ge", 100, "runtime 0 with a full battery"
    ),
)


def _get(reading: Reading, path: str) -> Any:
    head, _, attr = path.partition(".")
    if head == "nominal":
        return getattr(reading.nominal, attr)
    return getattr(reading, path)


def _fmt(value: float) -> str:
    return f"{value:g}"


class _Cells:
    """Mutable view of the values rules look at: top-level fields and line cells."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.top: dict[str, Any] = {}
        self.tables = {
            t: [dataclasses.asdict(line) for line in getattr(reading, t)] for t in LINE_TABLES
        }
        self.notes: list[str] = []

    def values(self, path: str) -> list[tuple[str, Any, Callable[[], None]]]:
        """(label, value, withhold) for every present value at `path`."""
        head, _, attr = path.partition(".")
        found: list[tuple[str, Any, Callable[[], None]]] = []
        if head in LINE_TABLES:
            for number, line in enumerate(self.tables[head], start=1):
                if line.get(attr) is not None:
                    found.append(
                        (
                            f"{head} L{number} {attr}",
                            line[attr],
                            functools.partial(line.__setitem__, attr, None),
                        )
                    )
            return found
        value = self.top[path] if path in self.top else _get(self.reading, path)
        if value is not None:
            found.append((path, value, lambda: self.top.update({path: None})))
        return found

    def value(self, path: str) -> Any:
        return self.top[path] if path in self.top else _get(self.reading, path)

    def result(self) -> Reading:
        if not self.notes:
            return self.reading
        lines: dict[str, Any] = {
            t: tuple(
                type(old)(**new)
                for old, new in zip(getattr(self.reading, t), self.tables[t], strict=True)
            )
            for t in LINE_TABLES
        }
        return dataclasses.replace(
            self.reading, **self.top, **lines, suspicious=(*self.reading.suspicious, *self.notes)
        )


def check(reading: Reading) -> Reading:
    """`reading` with implausible values set to None and a `suspicious` note for each."""
    if not reading.reachable:
        return reading
    cells = _Cells(reading)
    for rule in RANGES:
        for label, value, withhold in cells.values(rule.field):
            if not rule.low <= value <= rule.high:
                withhold()
                cells.notes.append(
                    f"{label}: {_fmt(value)} {rule.unit} is outside "
                    f"{_fmt(rule.low)} to {_fmt(rule.high)} {rule.unit}; not reported"
                )
    for rel in RELATIVES:
        nominal = cells.value(rel.nominal)
        if not nominal:
            continue
        for label, value, withhold in cells.values(rel.field):
            if value > nominal * rel.factor:
                withhold()
                cells.notes.append(
                    f"{label}: {_fmt(value)} {rel.unit} is above {rel.factor:g} x the nominal "
                    f"{_fmt(nominal)} {rel.unit}; not reported"
                )
    for contra in CONTRADICTIONS:
        other = cells.value(contra.other)
        if other is None or not OPS[contra.other_op](other, contra.other_value):
            continue
        for label, value, withhold in cells.values(contra.field):
            if OPS[contra.op](value, contra.value):
                withhold()
                cells.notes.append(
                    f"{label}: {_fmt(value)} is suspicious ({contra.why}); not reported"
                )
    return cells.result()
