"""PollEngine against the real UPS simulator (`simulator/`), in the same event loop."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest

from monitoring.choices import OutputSource
from monitoring.snmp.client import Target
from monitoring.snmp.engine import PollEngine, PollJob

simulator_fleet = pytest.importorskip("simulator.fleet")
simulator_runtime = pytest.importorskip("simulator.runtime")


@pytest.fixture
async def sim() -> AsyncIterator[object]:
    # Port 0: every agent gets a free port on its own loopback address.
    fleet = simulator_fleet.make_fleet(6, "127.0.77.2", port=0, three_phase_every=2)
    async with simulator_runtime.Simulator(fleet) as simulator:
        yield simulator


def job(sim: object, name: str, **kwargs: object) -> PollJob:
    host, port = sim.endpoint(name)  # type: ignore[attr-defined]
    target = Target(host, port, timeout_s=0.3, retries=1, version=kwargs.pop("version", "2c"))  # type: ignore[arg-type]
    return PollJob(name, target, **kwargs)  # type: ignore[arg-type]


async def test_every_simulated_ups_is_polled_with_its_number_of_lines(sim: object) -> None:
    names = list(sim.names)  # type: ignore[attr-defined]

    async with PollEngine() as engine:
        readings = {name: r async for name, r in engine.poll_many([job(sim, n) for n in names])}

    assert set(readings) == set(names)
    for index, name in enumerate(names, start=1):
        reading = readings[name]
        assert reading.reachable, reading.error
        assert reading.notes == ()
        lines = 3 if index % 2 == 0 else 1
        assert len(reading.input) == len(reading.output) == lines, name
        assert reading.output_source == OutputSource.NORMAL
        assert reading.runtime_remaining_s is not None
        assert reading.runtime_remaining_s > 0
        assert all(line.voltage_v and 150 < line.voltage_v < 300 for line in reading.output)


async def test_v1_polls_of_the_simulator_match_v2c(sim: object) -> None:
    async with PollEngine() as engine:
        v2c = await engine.poll_one(job(sim, "UPS-002"))
        v1 = await engine.poll_one(job(sim, "UPS-002", version="1"))

    assert v1.reachable
    assert v1.notes == ()
    assert dataclasses.replace(v1, sys_uptime_s=None) == dataclasses.replace(v2c, sys_uptime_s=None)


@pytest.mark.parametrize("quirk", ["no_dot_zero", "table_dot_zero"])
async def test_simulated_field_quirks_decode_like_a_clean_card(sim: object, quirk: str) -> None:
    async with PollEngine() as engine:
        clean = await engine.poll_one(job(sim, "UPS-002"))
        sim.set_quirks("UPS-002", [quirk])  # type: ignore[attr-defined]
        quirky = await engine.poll_one(job(sim, "UPS-002"))

    assert dataclasses.replace(quirky, sys_uptime_s=None) == dataclasses.replace(
        clean, sys_uptime_s=None
    )


async def test_a_partial_mib_card_reports_none_for_what_it_lacks(sim: object) -> None:
    sim.set_quirks("UPS-001", ["partial_mib"])  # type: ignore[attr-defined]

    async with PollEngine() as engine:
        reading = await engine.poll_one(job(sim, "UPS-001"))

    assert reading.reachable
    assert reading.charge_pct is not None
    assert reading.nominal.output_va is None
    assert reading.battery_voltage_v is None


async def test_a_x10_card_is_fixed_by_a_per_ups_scale_override(sim: object) -> None:
    async with PollEngine() as engine:
        normal = await engine.poll_one(job(sim, "UPS-001"))
        sim.set_quirks("UPS-001", ["scale_x10"])  # type: ignore[attr-defined]
        raw = await engine.poll_one(job(sim, "UPS-001"))
        fixed = await engine.poll_one(
            job(sim, "UPS-001", overrides={"output.voltage_v": {"scale": 0.1}})
        )

    assert normal.output[0].voltage_v is not None
    # x10 puts ~2300 V on a 230 V output: the sanity rules withhold it with a note
    # (issue 8) instead of showing it; the override makes it right again.
    assert raw.output[0].voltage_v is None
    assert any("output L1 voltage_v" in note for note in raw.suspicious)
    assert fixed.output[0].voltage_v == pytest.approx(normal.output[0].voltage_v, abs=5)


@pytest.mark.parametrize("quirk", ["garbage", "truncated"])
async def test_a_card_answering_junk_is_unreachable(sim: object, quirk: str) -> None:
    sim.set_quirks("UPS-003", [quirk])  # type: ignore[attr-defined]

    async with PollEngine() as engine:
        reading = await engine.poll_one(job(sim, "UPS-003"))

    assert not reading.reachable
    assert reading.error is not None
    assert "no response from 127.0.77.4" in reading.error


async def test_mains_failure_shows_on_battery_and_comm_loss_is_unreachable(sim: object) -> None:
    sim.set_scenario("UPS-004", "mains_failure")  # type: ignore[attr-defined]
    sim.set_scenario("UPS-005", "comm_loss")  # type: ignore[attr-defined]

    async with PollEngine() as engine:
        on_battery = await engine.poll_one(job(sim, "UPS-004"))
        lost = await engine.poll_one(job(sim, "UPS-005"))

    assert on_battery.on_battery
    assert on_battery.output_source == OutputSource.BATTERY
    assert "OnBattery" in on_battery.alarms
    assert not lost.reachable
