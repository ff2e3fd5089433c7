"""Vendor cards and the Generex-style sensor manager for the simulator.

Two fleet-file keys (kept in `UpsSpec.extra`, so older fleet files stay valid):

- ``"recording": "apc_smartups"`` serves `simulator/recordings/apc_smartups.walk`
  instead of the model's UPS-MIB tree: a vendor card with its own sysObjectID and
  trees, exactly as recorded. The format is `snmpwalk -On` output, so a real card
  can be recorded with ``snmpwalk -v2c -c public -On HOST .1.3.6.1 > card.walk``.
- ``"sensors": "rack_overheating"`` adds a sensor manager (8 analog / 4 digital in /
  4 digital out) under upsObjects.12, driven by a scenario from `SENSOR_SCENARIOS`.

No Django imports (the simulator runs stand-alone).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Final

from monitoring.snmp.ber import (
    Oid,
    Value,
    counter32,
    gauge32,
    integer,
    object_id,
    octets,
    timeticks,
)

RECORDINGS: Final = Path(__file__).with_name("recordings")
SENSOR_MAN: Final[Oid] = (1, 3, 6, 1, 2, 1, 33, 1, 12)

_LINE = re.compile(r"^\s*\.?([\d.]+)\s*=\s*(?:([\w-]+):\s*)?(.*?)\s*$")


def _value(kind: str, text: str) -> Value:
    kind = kind.upper()
    if kind in ("INTEGER", ""):
        match = re.search(r"-?\d+", text)  # "onLine(2)" or "2"
        return integer(int(match.group(0)) if match else 0)
    if kind == "GAUGE32":
        return gauge32(int(text))
    if kind == "COUNTER32":
        return counter32(int(text))
    if kind == "TIMETICKS":
        match = re.match(r"\((\d+)\)", text)
        return timeticks(int(match.group(1) if match else text))
    if kind == "STRING":
        return octets(text[1:-1] if text.startswith('"') and text.endswith('"') else text)
    if kind == "HEX-STRING":
        return octets(bytes.fromhex(text.replace(" ", "")))
    if kind == "OID":
        return object_id(tuple(int(p) for p in text.strip(".").split(".")))
    raise ValueError(f"unsupported type {kind!r}")


def parse_walk(text: str) -> dict[Oid, Value]:
    """`snmpwalk -On` lines → {oid: value}; '#' lines are comments (what the quirk is)."""
    values: dict[Oid, Value] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"line {number}: not 'OID = TYPE: value': {line!r}")
        name, kind, rest = match.groups()
        oid = tuple(int(p) for p in name.strip(".").split("."))
        try:
            values[oid] = _value(kind or "", rest)
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    return values


@cache
def recording(name: str) -> Mapping[Oid, Value]:
    path = RECORDINGS / f"{name}.walk"
    if not path.is_file():
        known = sorted(p.stem for p in RECORDINGS.glob("*.walk"))
        raise ValueError(f"unknown recording {name!r}; known: {known}")
    return parse_walk(path.read_text())


# --- sensor manager -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ramp:
    """An analog channel: `start` + `rate` per second, capped at `end` (x0.1 raw)."""

    start: float
    rate: float = 0.0
    end: float | None = None

    def at(self, seconds: float) -> float:
        value = self.start + self.rate * seconds
        return min(value, self.end) if self.end is not None else value


@dataclass(frozen=True, slots=True)
class SensorScenario:
    analog: Mapping[int, Ramp] = field(default_factory=dict)
    digital_in: Mapping[int, int] = field(default_factory=dict)  # channel → state from t=0
    digital_out: Mapping[int, int] = field(default_factory=dict)


# Channel 1 temperature (°C), 2 humidity (% rel H), 3 a 0-10 V input; inputs 1 door,
# 2 smoke, 3 water; output 1 flashing light. Scenarios are data, as in simulator/model.py.
CHANNELS: Final = {1: ("Rack temperature", "°C"), 2: ("Rack humidity", "% rel H"),
                   3: ("Pressure 0-10 V", "V")}  # fmt: skip
_BASE = {1: Ramp(24.0), 2: Ramp(40.0), 3: Ramp(5.0)}
SENSOR_SCENARIOS: Final[Mapping[str, SensorScenario]] = {
    "normal": SensorScenario(analog=_BASE),
    # +0.5 °C per second up to 48 °C: crosses a 35 °C pre-alarm and a 40 °C alarm
    "rack_overheating": SensorScenario(
        analog={**_BASE, 1: Ramp(30.0, rate=0.5, end=48.0)}, digital_out={1: 1}
    ),
    "door_opened": SensorScenario(analog=_BASE, digital_in={1: 1}),
}
DIGITAL_NAMES: Final = {
    9: "Rack door",
    10: "Smoke detector",
    11: "Water leak",
    12: "Input 4",
    13: "Flashing light",
    14: "Output 2",
    15: "Output 3",
    16: "Output 4",
}


def sensor_values(scenario: str, seconds: float) -> dict[Oid, Value]:
    """The sensor manager's objects (CS141 layout, vendor-mibs.md §3) at `seconds`."""
    sc = SENSOR_SCENARIOS[scenario]
    values: dict[Oid, Value] = {}
    for n in range(1, 9):
        name, unit = CHANNELS.get(n, (f"Analog {n}", "V"))
        ramp = sc.analog.get(n, Ramp(0.0))
        values[(*SENSOR_MAN, n, 1, 0)] = integer(round(ramp.at(seconds) * 10))
        values[(*SENSOR_MAN, n, 2, 0)] = octets(name)
        values[(*SENSOR_MAN, n, 3, 0)] = octets(unit)
        values[(*SENSOR_MAN, n, 4, 0)] = integer(0)
        values[(*SENSOR_MAN, n, 5, 0)] = integer(1000)
        values[(*SENSOR_MAN, n, 6, 0)] = integer(100)  # scaling x0.01 → 1.00
        values[(*SENSOR_MAN, n, 7, 0)] = integer(0)
    for n in range(9, 17):
        states = sc.digital_in if n <= 12 else sc.digital_out
        channel = n - 8 if n <= 12 else n - 12
        values[(*SENSOR_MAN, n, 1, 0)] = integer(states.get(channel, 0))
        values[(*SENSOR_MAN, n, 2, 0)] = octets(DIGITAL_NAMES[n])
        values[(*SENSOR_MAN, n, 3, 0)] = integer(0)
    return values


def card_values(extra: Mapping[str, object], seconds: float) -> dict[Oid, Value] | None:
    """Values a vendor card serves instead of the model's UPS-MIB tree (None: model's)."""
    name = extra.get("recording")
    return dict(recording(str(name))) if name else None


def extra_values(extra: Mapping[str, object], seconds: float) -> dict[Oid, Value]:
    """Values served in addition (the sensor manager)."""
    scenario = extra.get("sensors")
    return sensor_values(str(scenario), seconds) if scenario else {}
