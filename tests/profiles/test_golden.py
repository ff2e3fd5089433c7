"""Golden tests: `probe` against each simulated vendor card (recordings written from the
vendors' MIB definitions as summarised in vendor-mibs.md) reports the right profile, the
right normalised values, and each card's quirk handled."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import SimulatorThread
from tests.profiles.conftest import probe_json

pytestmark = pytest.mark.django_db

# card → (profile, {path: value}); paths: "charge_pct", "output.0.voltage_v", ...
GOLDEN: dict[str, tuple[str, dict[str, Any]]] = {
    "APC-1": (
        "apc",
        {
            "model": "Smart-UPS 1500",
            "battery_status": "normal",
            "runtime_remaining_s": 2520,  # TimeTicks 252000
            "charge_pct": 100.0,  # high precision 1000 x 0.1
            "battery_voltage_v": 27.2,  # Adv -1 unsupported; high precision used
            "battery_temperature_c": 27,  # 255 = probe absent → the integer object
            "input.0.voltage_v": 229.8,
            "input.0.frequency_hz": 50.0,  # high precision, not the whole-Hz 49
            "output_source": "normal",
            "output.0.voltage_v": 230.1,
            "output.0.current_a": 4.1,
            "output.0.load_pct": 31.2,
            "nominal.output_voltage_v": 230,
            "nominal.low_battery_time_s": 120,
            "test_result": "done_pass",
            "alarms": [],
            "status": "ok",
            "sensors": [("temperature", 1, 23, "Rack inlet")],  # humidity -1: no probe
        },
    ),
    "APC-3": (
        "apc",
        {
            "battery_status": "low",
            "seconds_on_battery": 300,
            "runtime_remaining_s": 180,
            "charge_pct": 35,  # high precision -1 dropped
            "battery_temperature_c": -5.2,  # signed extended object
            "output_source": "battery",
            "output.lines": 3,
            "output.2.voltage_v": 229,
            "output.1.load_pct": 42,
            "output.0.current_a": None,  # -1 unsupported
            "input.lines": 3,  # blackout: zero phases are still phases
            "alarms": ["OnBattery", "LowBattery"],  # from the 64-char flag string
            "status": "critical",
        },
    ),
    "XUPS": (
        "eaton_xups",
        {
            "manufacturer": "EATON",
            "runtime_remaining_s": 1260,  # seconds
            "charge_pct": 87,
            "battery_voltage_v": 70,
            "output_source": "battery",
            "output.lines": 1,
            "output.0.voltage_v": 230,  # row indexed .0
            "output.0.current_a": 3.4,  # high precision first
            "output.0.power_w": 650,
            "output.0.load_pct": 28,
            "output_frequency_hz": 50.0,
            "alarms": ["OnBattery"],  # descriptor X.7.3 in the alarm table
            "test_result": "done_pass",
            "status": "warning",
            "sensors": [("temperature", 1, 26, None)],
        },
    ),
    "MGE": (
        "eaton_mge",
        {
            "model": "Galaxy 3500",
            "runtime_remaining_s": 1800,
            "charge_pct": 100,
            "battery_voltage_v": 218.0,
            "battery_temperature_c": 24,
            "output_source": "normal",  # OnBattery no(2) → RFC 1628 upsOutputSource
            "input.lines": 3,
            "input.1.voltage_v": 232.0,
            "output.lines": 3,
            "output.0.load_pct": 104,
            "output_frequency_hz": 50.0,
            "bypass.lines": 3,
            "bypass.2.voltage_v": 229,
            "alarms": ["OutputOverload"],
            "status": "critical",
        },
    ),
    "CPS": (
        "cyberpower",
        {
            "model": "OL3000RMXL2U",
            "runtime_remaining_s": 1560,  # TimeTicks 156000
            "battery_voltage_v": 82.0,
            "battery_temperature_c": 29,
            "input.0.voltage_v": 233.0,
            "input.0.frequency_hz": 49.9,
            "output.0.voltage_v": 230.0,
            "output.0.current_a": 2.9,
            "output.0.power_w": 610,
            "output.0.load_pct": 22,
            "alarms": [],
            "status": "ok",
            "sensors": [("temperature", 1, 23.1, None), ("humidity", 1, 45, None)],
        },
    ),
    "NV5": (
        "socomec_nv5",
        {
            "seconds_on_battery": None,  # -1 on mains
            "runtime_remaining_s": 2100,  # minutes
            "battery_voltage_v": 273.0,
            "battery_temperature_c": None,  # 0 = no sensor
            "output_source": "normal",
            "output.0.voltage_v": 230.0,
            "output.0.current_a": None,  # 65535
            "output.0.load_pct": 45,
            "test_result": "no_tests_initiated",
            "alarms": [],
            "status": "ok",
        },
    ),
    "NV7": (
        "socomec_nv7",
        {
            "runtime_remaining_s": 1080,
            "charge_pct": 92,
            "battery_temperature_c": 25.5,
            "battery_current_a": None,
            "output_source": "battery",  # only the alarm flag says so
            "alarms": ["OnBattery"],
            "status": "warning",
            "sensors": [("temperature", 1, 22.1, None)],
        },
    ),
    "XPPC": (
        "xppc",
        {
            "runtime_remaining_s": 1980,  # seconds
            "battery_temperature_c": 26.5,
            "output_source": "normal",  # standBy(8) on mains
            "input.0.voltage_v": 228.0,
            "output.0.voltage_v": 229.0,
            "output.0.load_pct": 18,
            "status": "ok",
            "sensors": [("digital_in", 1, 0, None), ("digital_in", 2, 1, None)],
        },
    ),
}


def _get(data: dict[str, Any], path: str) -> Any:
    head, _, rest = path.partition(".")
    if head in ("input", "output", "bypass") and rest:
        if rest == "lines":
            return len(data[head])
        index, _, attr = rest.partition(".")
        return data[head][int(index)][attr]
    if head == "nominal":
        return data["nominal"][rest]
    return data[path]


@pytest.mark.parametrize("card", sorted(GOLDEN))
def test_probe_reports_normalised_values_of_each_vendor_card(
    vendor_sim: SimulatorThread, card: str
) -> None:
    profile, expected = GOLDEN[card]

    data = probe_json(vendor_sim, card)

    assert data["profile"] == profile, data["profile_reason"]
    assert data["profile_reason"].startswith("detected: ")
    for path, value in expected.items():
        if path == "sensors":
            got = [(s["kind"], s["channel"], s["value"], s["name"]) for s in data["sensors"]]
            assert got == [tuple(v) for v in value], path
        elif path == "alarms":
            assert sorted(data["alarms"]) == sorted(value)
        elif isinstance(value, float):
            assert _get(data, path) == pytest.approx(value), path
        else:
            assert _get(data, path) == value, path
    assert not data["suspicious"]


def test_a_stub_ups_mib_card_is_not_taken_for_a_full_agent(vendor_sim: SimulatorThread) -> None:
    data = probe_json(vendor_sim, "STUB")

    assert data["profile"] == "rfc1628"
    assert "only 1 core value" in data["profile_reason"] or "only 0 core" in data["profile_reason"]
    assert "no full UPS-MIB agent" in data["profile_reason"]


def test_the_sensor_manager_card_is_detected_as_generex(vendor_sim: SimulatorThread) -> None:
    data = probe_json(vendor_sim, "CS141")

    assert data["profile"] == "generex_cs1x1"
    analog = {s["channel"]: s for s in data["sensors"] if s["kind"] == "analog"}
    assert analog[1]["value"] == pytest.approx(24.0)
    assert analog[1]["unit"] == "°C"
    assert analog[2]["name"] == "Rack humidity"
    assert len(analog) == 8
    assert len([s for s in data["sensors"] if s["kind"] == "digital_in"]) == 4
    assert len([s for s in data["sensors"] if s["kind"] == "digital_out"]) == 4


def test_a_pinned_profile_is_used_and_says_so(vendor_sim: SimulatorThread) -> None:
    data = probe_json(vendor_sim, "APC-1", "--profile", "rfc1628")

    assert data["profile"] == "rfc1628"
    assert data["profile_reason"] == "pinned on the command line (rfc1628)"
    assert data["model"] == "Smart-UPS 1500"  # the one UPS-MIB object it has
    assert data["charge_pct"] is None
