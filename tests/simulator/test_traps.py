"""Traps arrive at a plain asyncio UDP socket (no snmptrapd), from the UPS's own address."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pyasn1.codec.ber import decoder as asn1_decoder
from pysnmp.proto import api

from monitoring.snmp import ber
from monitoring.snmp.ber import Message, Pdu, PduType, TrapV1Pdu, oid
from simulator import UpsSpec
from tests.simulator.conftest import StartSim, UdpPeer, spec

UPS = oid("1.3.6.1.2.1.33.1")
TRAPS = oid("1.3.6.1.2.1.33.2")
SYS_UPTIME = oid("1.3.6.1.2.1.1.3.0")
SNMP_TRAP_OID = oid("1.3.6.1.6.3.1.1.4.1.0")


def trap_number(message: Message) -> int:
    """n of upsTraps.n for v1 and v2c, in both the .2.n and .2.0.n forms."""
    if isinstance(message.pdu, TrapV1Pdu):
        return message.pdu.specific_trap
    trap_oid = dict(message.pdu.varbinds)[SNMP_TRAP_OID].value
    return trap_oid[-1]  # type: ignore[index]


def is_trap(n: int) -> Any:
    return lambda m: trap_number(m) == n


def alarm_descr(message: Message) -> int:
    for name, value in message.pdu.varbinds:
        if name[:-1] == (*UPS, 6, 2, 1, 2):
            return value.value[-1]  # type: ignore[index]
    raise AssertionError("no upsAlarmDescr varbind")


async def test_a_v2c_on_battery_trap_carries_uptime_trap_oid_and_runtime(
    start_sim: StartSim, trap_sink: UdpPeer
):
    sim = await start_sim(spec(trap_target=trap_sink.target, trap_community="traps"))
    sim.set_scenario("UPS-001", "mains_failure")
    message, source = await trap_sink.wait_for(is_trap(1))
    assert source == sim.endpoint("UPS-001")  # sent from the agent's own socket
    assert (message.version, message.community) == (1, b"traps")
    assert isinstance(message.pdu, Pdu)
    assert message.pdu.type is PduType.SNMPV2_TRAP
    names = [name for name, _ in message.pdu.varbinds]
    assert names[:2] == [SYS_UPTIME, SNMP_TRAP_OID]
    assert dict(message.pdu.varbinds)[SNMP_TRAP_OID] == ber.object_id((*TRAPS, 1))
    assert names[2:] == [(*UPS, 2, 3, 0), (*UPS, 2, 2, 0), (*UPS, 9, 7, 0)]


async def test_the_zero_form_puts_the_trap_under_ups_traps_zero(
    start_sim: StartSim, trap_sink: UdpPeer
):
    sim = await start_sim(spec(trap_target=trap_sink.target, trap_oid_form="zero"))
    sim.send_trap("UPS-001", "on_battery")
    message, _ = await trap_sink.wait_for(lambda m: True)
    assert dict(message.pdu.varbinds)[SNMP_TRAP_OID] == ber.object_id((*TRAPS, 0, 1))


async def test_a_v1_trap_uses_the_ups_traps_enterprise_and_the_agent_address(
    start_sim: StartSim, trap_sink: UdpPeer
):
    sim = await start_sim(spec(trap_target=trap_sink.target, trap_version="1"))
    sim.set_scenario("UPS-001", "mains_failure")
    message, source = await trap_sink.wait_for(lambda m: True)
    pdu = message.pdu
    assert isinstance(pdu, TrapV1Pdu)
    assert message.version == 0
    assert (pdu.enterprise, pdu.generic_trap, pdu.specific_trap) == (TRAPS, 6, 1)
    assert pdu.agent_addr == bytes(int(p) for p in source[0].split("."))
    assert pdu.varbinds[0][0] == (*UPS, 2, 3, 0)


async def test_on_battery_is_repeated_while_the_ups_stays_on_battery(
    start_sim: StartSim, trap_sink: UdpPeer
):
    sim = await start_sim(spec(trap_target=trap_sink.target), trap_repeat_s=0.15, tick_s=0.02)
    sim.set_scenario("UPS-001", "mains_failure")
    await asyncio.sleep(0.55)
    sim.set_scenario("UPS-001", "normal")
    received = [m for m, _ in await trap_sink.receive_all(0.2)]
    assert 3 <= sum(trap_number(m) == 1 for m in received) <= 6
    await asyncio.sleep(0.3)
    assert not [m for m, _ in await trap_sink.receive_all(0.1) if trap_number(m) == 1]


async def test_no_alarm_added_trap_for_on_battery_but_a_removed_one_when_mains_return(
    start_sim: StartSim, trap_sink: UdpPeer
):
    sim = await start_sim(spec(trap_target=trap_sink.target))
    sim.set_scenario("UPS-001", "mains_failure")
    sim.set_scenario("UPS-001", "mains_return")
    received = [m for m, _ in await trap_sink.receive_all(0.3)]
    assert [trap_number(m) for m in received] == [1, 4]
    assert alarm_descr(received[1]) == 2  # OnBattery removed: back on mains


async def test_alarm_entry_added_and_removed_traps_name_the_alarm(
    start_sim: StartSim, trap_sink: UdpPeer
):
    sim = await start_sim(spec(trap_target=trap_sink.target))
    sim.set_scenario("UPS-001", "fault")
    added, _ = await trap_sink.wait_for(is_trap(3))
    assert alarm_descr(added) == 18  # GeneralFault
    alarm_id = [v for n, v in added.pdu.varbinds if n[:-1] == (*UPS, 6, 2, 1, 1)]
    assert alarm_id == [ber.integer(1)]
    sim.set_scenario("UPS-001", "normal")
    removed, _ = await trap_sink.wait_for(is_trap(4))
    assert alarm_descr(removed) == 18


async def test_a_self_test_ends_with_a_test_completed_trap(start_sim: StartSim, trap_sink: UdpPeer):
    sim = await start_sim(spec(trap_target=trap_sink.target), speed=200, tick_s=0.02)
    sim.set_scenario("UPS-001", "self_test_fail")
    message, _ = await trap_sink.wait_for(is_trap(2), timeout=5)
    results = dict(message.pdu.varbinds)
    assert results[(*UPS, 7, 3, 0)] == ber.integer(3)  # doneError
    added, _ = await trap_sink.wait_for(is_trap(3))
    assert alarm_descr(added) == 19  # DiagnosticTestFailed


async def test_test_in_progress_raises_no_alarm_added_trap(start_sim: StartSim, trap_sink: UdpPeer):
    sim = await start_sim(spec(trap_target=trap_sink.target))
    sim.set_scenario("UPS-001", "self_test")
    received = [m for m, _ in await trap_sink.receive_all(0.2)]
    assert [trap_number(m) for m in received if trap_number(m) == 3] == []


async def test_a_silent_card_sends_no_traps(start_sim: StartSim, trap_sink: UdpPeer):
    sim = await start_sim(spec(trap_target=trap_sink.target), trap_repeat_s=0.05)
    sim.set_scenario("UPS-001", "comm_loss")
    await asyncio.sleep(0.2)
    assert await trap_sink.receive_all(0.1) == []


async def test_traps_can_be_forced_and_bad_kinds_are_refused(
    start_sim: StartSim, trap_sink: UdpPeer
):
    sim = await start_sim(spec(trap_target=trap_sink.target), spec("UPS-002"))
    assert sim.send_trap("UPS-001", "alarm_added") == 1
    assert sim.send_trap("UPS-002", "on_battery") == 0  # no trap target configured
    message, _ = await trap_sink.wait_for(is_trap(3))
    assert alarm_descr(message) == 18
    with pytest.raises(ValueError, match="unknown trap"):
        sim.send_trap("UPS-001", "fire")


@pytest.mark.parametrize("version", ["1", "2c"])
async def test_pysnmp_reads_our_traps_too(start_sim: StartSim, trap_sink: UdpPeer, version: str):
    sim = await start_sim(spec(trap_target=trap_sink.target, trap_version=version))
    sim.send_trap("UPS-001", "on_battery")
    got = await trap_sink.receive_raw()
    assert got is not None
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_1 if version == "1" else api.SNMP_VERSION_2C]
    message, rest = asn1_decoder.decode(got[0], asn1Spec=module.Message())
    assert rest == b""
    assert bytes(module.apiMessage.get_community(message)) == b"public"


def test_traps_are_only_ever_sent_to_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        UpsSpec("UPS-X", trap_target="192.0.2.1:162")
    with pytest.raises(ValueError, match="loopback"):
        UpsSpec("UPS-X", address="10.0.0.2")  # refused: never bound, never sent to
