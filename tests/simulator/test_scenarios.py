"""Every scenario, switched at run time and observed over SNMP (time accelerated)."""

from __future__ import annotations

import asyncio

import pytest

from monitoring.snmp import ber
from monitoring.snmp.ber import oid
from simulator import Simulator
from tests.simulator.conftest import StartSim, UdpPeer
from tests.simulator.test_agent import UPS, number, object_id, octets, values, walk

SOURCE = (*UPS, 4, 1, 0)
BATTERY_STATUS = (*UPS, 2, 1, 0)
SECONDS_ON_BATTERY = (*UPS, 2, 2, 0)
MINUTES_LEFT = (*UPS, 2, 3, 0)
CHARGE = (*UPS, 2, 4, 0)
TEST_SUMMARY = (*UPS, 7, 3, 0)
LOAD_1 = (*UPS, 4, 4, 1, 5, 1)
INPUT_VOLTS_1 = (*UPS, 3, 3, 1, 3, 1)
LINE_BADS = (*UPS, 3, 1, 0)
WATCHED = [
    SOURCE,
    BATTERY_STATUS,
    SECONDS_ON_BATTERY,
    MINUTES_LEFT,
    CHARGE,
    TEST_SUMMARY,
    LOAD_1,
    INPUT_VOLTS_1,
    LINE_BADS,
]


async def read(manager: UdpPeer, sim: Simulator) -> dict[str, int]:
    got = values(await manager.get(sim.endpoint("UPS-001"), *WATCHED))
    names = [
        "source",
        "battery",
        "on_battery_s",
        "minutes",
        "charge",
        "test",
        "load",
        "input_v",
        "line_bads",
    ]
    return {n: got[o].value for n, o in zip(names, WATCHED, strict=True)}  # type: ignore[misc]


async def alarms(manager: UdpPeer, sim: Simulator) -> set[int]:
    """Well-known alarm numbers n of the upsAlarmDescr column (…33.1.6.3.n)."""
    rows = await walk(manager, sim.endpoint("UPS-001"), (*UPS, 6, 2, 1, 2))
    return {object_id(value)[-1] for _, value in rows}


async def until(probe, predicate, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        state = await probe()
        if predicate(state):
            return state
        assert asyncio.get_running_loop().time() < deadline, f"timed out; last state {state}"
        await asyncio.sleep(0.02)


async def test_normal_is_on_mains_with_no_alarms(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    state = await read(manager, sim)
    assert (state["source"], state["battery"], state["charge"]) == (3, 2, 100)
    assert await alarms(manager, sim) == set()


async def test_mains_failure_goes_on_battery_then_low_then_depleted(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(speed=3000, tick_s=0.02)
    sim.set_scenario("UPS-001", "mains_failure")
    state = await read(manager, sim)
    assert state["source"] == 5
    assert state["input_v"] == 0
    assert state["line_bads"] == 1
    assert await alarms(manager, sim) == {2}  # OnBattery
    later = await until(lambda: read(manager, sim), lambda s: s["on_battery_s"] > 60)
    assert later["charge"] < 100
    low = await until(lambda: read(manager, sim), lambda s: s["battery"] == 3)
    assert low["minutes"] < 2
    assert await alarms(manager, sim) >= {2, 3}  # OnBattery + LowBattery
    empty = await until(lambda: read(manager, sim), lambda s: s["battery"] == 4)
    assert empty["charge"] == 0
    assert empty["source"] == 2  # output off
    assert 4 in await alarms(manager, sim)  # DepletedBattery


async def test_runtime_and_charge_fall_steadily_on_battery(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim(speed=300, tick_s=0.02)
    sim.set_scenario("UPS-001", "mains_failure")
    first = await read(manager, sim)
    await asyncio.sleep(0.3)
    second = await read(manager, sim)
    assert second["on_battery_s"] > first["on_battery_s"]
    assert second["minutes"] <= first["minutes"]
    assert second["charge"] <= first["charge"]


async def test_mains_return_goes_back_to_normal_and_recharges(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(speed=3000, tick_s=0.02)
    sim.set_scenario("UPS-001", "mains_failure")
    await until(lambda: read(manager, sim), lambda s: s["charge"] < 80)
    sim.set_scenario("UPS-001", "mains_return")
    state = await read(manager, sim)
    assert (state["source"], state["on_battery_s"]) == (3, 0)
    assert await alarms(manager, sim) == set()
    assert state["input_v"] > 200
    await until(lambda: read(manager, sim), lambda s: s["charge"] == 100, timeout=8)
    assert sim.status("UPS-001")[0]["scenario"] == "normal"


async def test_overload_puts_the_load_above_100_percent(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    sim.set_scenario("UPS-001", "overload")
    assert (await read(manager, sim))["load"] > 100
    assert await alarms(manager, sim) == {8}  # OutputOverload


@pytest.mark.parametrize(
    ("scenario", "source", "alarm_set"),
    [
        ("bypass", 4, {9}),  # OnBypass
        ("battery_bad", 3, {1}),  # BatteryBad
        ("fault", 3, {18}),  # GeneralFault
    ],
)
async def test_steady_fault_scenarios_raise_their_alarm(
    start_sim: StartSim, manager: UdpPeer, scenario: str, source: int, alarm_set: set[int]
):
    sim = await start_sim()
    sim.set_scenario("UPS-001", scenario)
    assert (await read(manager, sim))["source"] == source
    assert await alarms(manager, sim) == alarm_set
    sim.set_scenario("UPS-001", "normal")
    assert await alarms(manager, sim) == set()


async def watch_self_test(manager: UdpPeer, sim: Simulator) -> tuple[set[int], set[int]]:
    sources, alarm_seen = set(), set()
    while True:
        state = await read(manager, sim)
        sources.add(state["source"])
        alarm_seen |= await alarms(manager, sim)
        if state["test"] != 5:
            return sources, alarm_seen
        await asyncio.sleep(0.005)


async def test_self_test_runs_briefly_on_battery_and_passes(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim(speed=25, tick_s=0.02)
    sim.set_scenario("UPS-001", "self_test")
    assert (await read(manager, sim))["test"] == 5  # inProgress
    assert 24 in await alarms(manager, sim)  # TestInProgress
    sources, _ = await watch_self_test(manager, sim)
    assert sources == {3, 5}
    state = await read(manager, sim)
    assert (state["test"], state["source"]) == (1, 3)  # donePass, back on mains
    assert await alarms(manager, sim) == set()


async def test_self_test_fail_ends_in_done_error_and_diagnostic_test_failed(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(speed=100, tick_s=0.02)
    sim.set_scenario("UPS-001", "self_test_fail")
    await until(lambda: read(manager, sim), lambda s: s["test"] != 5)
    assert (await read(manager, sim))["test"] == 3  # doneError
    assert await alarms(manager, sim) == {19}  # DiagnosticTestFailed
    detail = values(await manager.get(sim.endpoint("UPS-001"), (*UPS, 7, 4, 0)))
    assert b"fail" in octets(detail[(*UPS, 7, 4, 0)])


async def test_comm_loss_stops_answering_until_the_scenario_changes(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim()
    sim.set_scenario("UPS-001", "comm_loss")
    endpoint = sim.endpoint("UPS-001")
    assert await manager.get(endpoint, SOURCE, timeout=0.3) is None
    assert sim.status("UPS-001")[0]["stats"]["silent"] == 1
    sim.set_scenario("UPS-001", "normal")
    assert await manager.get(endpoint, SOURCE) is not None


async def test_low_battery_jumps_straight_to_battery_with_a_low_runtime(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim()
    sim.set_scenario("UPS-001", "low_battery")
    state = await read(manager, sim)
    assert (state["source"], state["battery"]) == (5, 3)
    assert state["minutes"] < 2
    assert await alarms(manager, sim) == {2, 3}


async def test_alarm_times_are_sys_uptime_ticks(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    await asyncio.sleep(0.1)
    sim.set_scenario("UPS-001", "fault")
    rows = dict(await walk(manager, sim.endpoint("UPS-001"), (*UPS, 6, 2, 1, 3)))
    uptime = values(await manager.get(sim.endpoint("UPS-001"), oid("1.3.6.1.2.1.1.3.0")))
    (raised,) = rows.values()
    assert raised.tag == ber.Tag.TIMETICKS
    assert 0 < number(raised) <= number(uptime[oid("1.3.6.1.2.1.1.3.0")]) + 100


async def test_unknown_scenarios_and_names_are_refused(start_sim: StartSim):
    sim = await start_sim()
    with pytest.raises(ValueError, match="unknown scenario"):
        sim.set_scenario("UPS-001", "meteor")
    with pytest.raises(KeyError):
        sim.set_scenario("UPS-404", "normal")


async def test_all_switches_the_whole_fleet(start_sim: StartSim):
    from tests.simulator.conftest import spec

    sim = await start_sim(spec("A"), spec("B"))
    sim.set_scenario("all", "bypass")
    assert {s["scenario"] for s in sim.status()} == {"bypass"}
