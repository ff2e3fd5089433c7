"""Real SNMP managers against the simulator: pysnmp's asyncio hlapi and net-snmp's CLI."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    bulk_cmd,
    get_cmd,
    set_cmd,
    walk_cmd,
)
from pysnmp.proto.rfc1902 import Integer32, ObjectIdentifier

from simulator import SimulatorThread, make_fleet
from tests.ports import free_port
from tests.simulator.conftest import StartSim, fresh_address, require_netsnmp, spec

UPS = "1.3.6.1.2.1.33.1"


def object_type(text: str) -> ObjectType:
    return ObjectType(ObjectIdentity(text))


@pytest.mark.parametrize("mp_model", [0, 1], ids=["v1", "v2c"])
async def test_pysnmp_get_reads_the_battery_group(start_sim: StartSim, mp_model: int):
    sim = await start_sim()
    engine = SnmpEngine()
    target = await UdpTransportTarget.create(sim.endpoint("UPS-001"), timeout=1, retries=0)
    error, status, _, varbinds = await get_cmd(
        engine,
        CommunityData("public", mpModel=mp_model),
        target,
        ContextData(),
        object_type(f"{UPS}.2.1.0"),
        object_type(f"{UPS}.2.3.0"),
        object_type(f"{UPS}.4.1.0"),
        lookupMib=False,
    )
    engine.close_dispatcher()
    assert error is None
    assert int(status) == 0
    assert [int(v) for _, v in varbinds][0::2] == [2, 3]


async def test_pysnmp_bulk_and_walk_see_the_whole_ups_mib(start_sim: StartSim):
    sim = await start_sim(spec(model="three"))
    engine = SnmpEngine()
    target = await UdpTransportTarget.create(sim.endpoint("UPS-001"), timeout=1, retries=0)
    auth = CommunityData("public")
    error, _, _, varbinds = await bulk_cmd(
        engine, auth, target, ContextData(), 0, 10, object_type(UPS), lookupMib=False
    )
    assert error is None
    assert len(varbinds) == 10
    walked = [
        str(vb[0][0])
        async for vb in _walk(engine, auth, target, UPS)  # type: ignore[misc]
    ]
    engine.close_dispatcher()
    assert len(walked) == 84  # 42 scalars + 42 cells of 3 lines
    assert walked[-1] == f"{UPS}.9.10.0"


async def _walk(engine, auth, target, root):  # type: ignore[no-untyped-def]
    async for error, _, _, varbinds in walk_cmd(
        engine,
        auth,
        target,
        ContextData(),
        object_type(root),
        lookupMib=False,
        lexicographicMode=False,
    ):
        assert error is None
        yield varbinds


async def test_pysnmp_set_starts_a_self_test(start_sim: StartSim):
    sim = await start_sim()
    engine = SnmpEngine()
    target = await UdpTransportTarget.create(sim.endpoint("UPS-001"), timeout=1, retries=0)
    error, status, _, _ = await set_cmd(
        engine,
        CommunityData("private"),
        target,
        ContextData(),
        ObjectType(ObjectIdentity(f"{UPS}.7.1.0"), ObjectIdentifier(f"{UPS}.7.7.3")),
        ObjectType(ObjectIdentity(f"{UPS}.7.2.0"), Integer32(0)),
        lookupMib=False,
    )
    engine.close_dispatcher()
    assert error is None
    assert int(status) == 0
    assert sim.status("UPS-001")[0]["scenario"] == "self_test"


# ------------------------------------------------------------------------------ net-snmp


@pytest.fixture
def threaded_fleet() -> Iterator[SimulatorThread]:
    """net-snmp runs as a blocking subprocess: the simulator needs its own thread."""
    require_netsnmp()
    base = fresh_address()
    fleet = make_fleet(3, base, port=free_port(base), three_phase_every=3)
    with SimulatorThread(fleet, tick_s=0.05) as sim:
        yield sim


def netsnmp(*args: str) -> str:
    done = subprocess.run(
        [*args[:1], "-On", "-t", "1", "-r", "0", *args[1:]],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def at(sim: SimulatorThread, name: str) -> str:
    host, port = sim.endpoint(name)
    return f"{host}:{port}"


@pytest.mark.netsnmp
def test_snmpget_reads_scalars_in_v2c_and_v1(threaded_fleet: SimulatorThread):
    target = at(threaded_fleet, "UPS-001")
    out = netsnmp("snmpget", "-v2c", "-c", "public", target, f"{UPS}.2.1.0", "1.3.6.1.2.1.1.5.0")
    assert f".{UPS}.2.1.0 = INTEGER: 2" in out
    assert 'STRING: "UPS-001"' in out
    out = netsnmp("snmpget", "-v1", "-c", "public", target, f"{UPS}.4.1.0")
    assert f".{UPS}.4.1.0 = INTEGER: 3" in out


@pytest.mark.netsnmp
def test_snmpbulkwalk_walks_the_ups_mib_of_a_three_phase_ups(threaded_fleet: SimulatorThread):
    out = netsnmp(
        "snmpbulkwalk", "-v2c", "-c", "public", at(threaded_fleet, "UPS-003"), "1.3.6.1.2.1.33"
    )
    lines = out.strip().splitlines()
    assert len(lines) == 84
    assert "No more variables" not in out
    assert sum(f".{UPS}.4.4.1.2." in line for line in lines) == 3  # three output lines


@pytest.mark.netsnmp
def test_snmpwalk_v1_follows_a_scenario_switch(threaded_fleet: SimulatorThread):
    threaded_fleet.set_scenario("UPS-002", "mains_failure")
    out = netsnmp("snmpwalk", "-v1", "-c", "public", at(threaded_fleet, "UPS-002"), f"{UPS}.6.2")
    assert f"OID: .{UPS}.6.3.2" in out  # OnBattery in the alarm table


@pytest.mark.netsnmp
def test_snmpget_of_a_missing_object_says_no_such_object(threaded_fleet: SimulatorThread):
    out = netsnmp("snmpget", "-v2c", "-c", "public", at(threaded_fleet, "UPS-001"), f"{UPS}.2.99.0")
    assert "No Such Object" in out
