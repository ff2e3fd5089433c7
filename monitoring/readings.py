"""The normalised result of one poll of one UPS.

A `Reading` is what every profile decodes to, whatever the card speaks: runtime in
seconds, voltages in V, frequencies in Hz, currents in A, power in W. `None` always
means "not reported by this agent" and never zero (ups-mib.md, field quirks).
Pure data: no Django models, no network.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from monitoring.choices import BatteryStatus, OutputSource, TestResult


@dataclass(frozen=True, slots=True)
class InputLine:
    voltage_v: float | None = None
    frequency_hz: float | None = None
    current_a: float | None = None
    power_w: float | None = None


@dataclass(frozen=True, slots=True)
class OutputLine:
    voltage_v: float | None = None
    current_a: float | None = None
    power_w: float | None = None
    load_pct: float | None = None


@dataclass(frozen=True, slots=True)
class BypassLine:
    voltage_v: float | None = None
    current_a: float | None = None
    power_w: float | None = None


@dataclass(frozen=True, slots=True)
class Nominal:
    """upsConfig group: the rated values the UPS was set up with."""

    input_voltage_v: float | None = None
    input_frequency_hz: float | None = None
    output_voltage_v: float | None = None
    output_frequency_hz: float | None = None
    output_va: float | None = None
    output_power_w: float | None = None
    low_battery_time_s: float | None = None


@dataclass(frozen=True, slots=True)
class SensorSample:
    """One sensor channel as the card reports it, in the card's unit (before the
    administrator's scale divisor/offset, applied in monitoring/sensors.py)."""

    kind: str  # profiles.SensorKind value
    channel: int
    value: float | None = None
    name: str | None = None  # the card's own label, if it has one
    unit: str | None = None  # the card's own unit text, if it has one
    # Set when an administrator configured this channel as a sensor point: then `value`
    # is in engineering units, `name`/`unit` are the point's, `level` its threshold level.
    point_id: int | None = None
    quantity: str | None = None  # what the point measures (SensorKind value)
    level: str | None = None  # sensors.Level value
    severity: str | None = None  # digital inputs: the point's own severity


@dataclass(frozen=True, slots=True)
class Reading:
    reachable: bool
    error: str | None = None
    sys_object_id: str | None = None
    sys_uptime_s: float | None = None
    profile: str | None = None
    # identification
    manufacturer: str | None = None
    model: str | None = None
    ups_software_version: str | None = None
    agent_software_version: str | None = None
    ident_name: str | None = None
    # battery
    battery_status: BatteryStatus | None = None
    seconds_on_battery: float | None = None
    runtime_remaining_s: float | None = None
    charge_pct: float | None = None
    battery_voltage_v: float | None = None
    battery_current_a: float | None = None
    battery_temperature_c: float | None = None
    # input
    input_line_bads: int | None = None
    input: tuple[InputLine, ...] = ()
    # output
    output_source: OutputSource | None = None
    output_frequency_hz: float | None = None
    output: tuple[OutputLine, ...] = ()
    # bypass
    bypass_frequency_hz: float | None = None
    bypass: tuple[BypassLine, ...] = ()
    # alarms: well-known UPS-MIB alarm names ("OnBattery", "LowBattery", ...)
    alarms: tuple[str, ...] = ()
    # last self-test
    test_result: TestResult | None = None
    test_detail: str | None = None
    nominal: Nominal = field(default_factory=Nominal)
    # decode notes: objects that were present but unusable, and why
    notes: tuple[str, ...] = ()
    # why this profile was used (detection or pin), for probe and the UPS page
    profile_reason: str | None = None
    # values withheld by the sanity rules (monitoring/sanity.py), one sentence each
    suspicious: tuple[str, ...] = ()
    # environmental sensor channels on the card (temperature, humidity, analog, digital)
    sensors: tuple[SensorSample, ...] = ()

    @classmethod
    def unreachable(cls, error: str) -> Reading:
        return cls(reachable=False, error=error)

    @property
    def load_pct(self) -> float | None:
        """The most loaded output line: the one that trips first."""
        loads = [line.load_pct for line in self.output if line.load_pct is not None]
        return max(loads) if loads else None

    @property
    def output_power_w(self) -> float | None:
        powers = [line.power_w for line in self.output if line.power_w is not None]
        return sum(powers) if powers else None

    @property
    def on_battery(self) -> bool:
        return self.output_source == OutputSource.BATTERY or "OnBattery" in self.alarms

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (enums as their values); the `probe --json` shape."""
        data = dataclasses.asdict(self)
        data["input"] = [dataclasses.asdict(line) for line in self.input]
        data["output"] = [dataclasses.asdict(line) for line in self.output]
        data["bypass"] = [dataclasses.asdict(line) for line in self.bypass]
        data["alarms"] = list(self.alarms)
        data["notes"] = list(self.notes)
        data["suspicious"] = list(self.suspicious)
        data["sensors"] = [dataclasses.asdict(sample) for sample in self.sensors]
        for key in ("battery_status", "output_source", "test_result"):
            value = data[key]
            data[key] = None if value is None else str(value)
        return data
