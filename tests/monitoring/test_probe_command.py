"""`manage.py probe` against simulated agents over UDP."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from simulator import SimulatorThread

PROBE_KEYS = {
    "reachable", "sys_object_id", "profile", "manufacturer", "model", "battery_status",
    "seconds_on_battery", "runtime_remaining_s", "charge_pct", "battery_voltage_v",
    "battery_temperature_c", "input", "output_source", "output_frequency_hz", "output",
    "alarms", "status",
}  # fmt: skip


def probe(*args: str) -> str:
    out = io.StringIO()
    call_command("probe", *args, stdout=out)
    return out.getvalue()


def endpoint(sim: SimulatorThread, name: str) -> str:
    host, port = sim.endpoint(name)
    return f"{host}:{port}"


def test_probe_json_has_the_documented_keys_and_normalised_values(
    sim_fleet: SimulatorThread,
) -> None:
    data = json.loads(probe(endpoint(sim_fleet, "UPS-004"), "--json"))

    assert set(data) >= PROBE_KEYS
    assert data["reachable"] is True
    assert data["status"] == "ok"
    assert data["profile"] == "rfc1628"
    assert data["sys_object_id"] == "1.3.6.1.2.1.33"
    assert data["output_source"] == "normal"
    assert data["battery_status"] == "normal"
    assert len(data["output"]) == 3
    assert set(data["input"][0]) == {"voltage_v", "frequency_hz", "current_a", "power_w"}
    assert set(data["output"][0]) == {"voltage_v", "current_a", "power_w", "load_pct"}
    assert 45 < data["output_frequency_hz"] < 55  # Hz, not tenths
    assert data["runtime_remaining_s"] > 60  # seconds, not minutes


def test_probe_reports_a_mains_failure(sim_fleet: SimulatorThread) -> None:
    sim_fleet.set_scenario("UPS-001", "mains_failure")
    data = json.loads(probe(endpoint(sim_fleet, "UPS-001"), "--json", "--snmp-version", "1"))
    assert data["output_source"] == "battery"
    assert "OnBattery" in data["alarms"]
    assert data["status"] in {"warning", "critical"}


def test_partial_agent_reports_missing_values_as_null_not_zero(sim_fleet: SimulatorThread) -> None:
    sim_fleet.set_quirks("UPS-002", ["partial_mib"])
    data = json.loads(probe(endpoint(sim_fleet, "UPS-002"), "--json"))
    assert data["reachable"] is True
    assert data["battery_temperature_c"] is None
    assert data["output_source"] == "normal"


def test_probe_prints_a_readable_summary(sim_fleet: SimulatorThread) -> None:
    text = probe(endpoint(sim_fleet, "UPS-001"))
    assert "status" in text
    assert "output L1" in text


def test_unreachable_agent_is_one_clear_error_and_a_failure_exit(
    sim_fleet: SimulatorThread,
) -> None:
    sim_fleet.set_scenario("UPS-003", "comm_loss")
    with pytest.raises(CommandError, match=r"unreachable: no response from 127\.") as error:
        probe(
            endpoint(sim_fleet, "UPS-003"),
            "--timeout",
            "0.2",
            "--retries",
            "0",
            "--community",
            "topsecret",
        )
    assert "topsecret" not in str(error.value)


@pytest.mark.parametrize("bad", ["", "host:notaport", "host:70000", "a:b:c:d:e"])
def test_bad_endpoint_is_refused(bad: str) -> None:
    with pytest.raises(CommandError):
        probe(bad, "--timeout", "0.1", "--retries", "0")
