"""Every field quirk, seen from a manager on the wire."""

from __future__ import annotations

import pytest

from monitoring.snmp import ber
from monitoring.snmp.ber import BerError, PduType, Tag, oid
from tests.simulator.conftest import StartSim, UdpPeer, spec
from tests.simulator.test_agent import UPS, number, response, values, walk

BATTERY_STATUS = (*UPS, 2, 1)
OUTPUT_VOLTAGE_1 = (*UPS, 4, 4, 1, 2, 1)


async def test_no_dot_zero_answers_scalars_without_the_suffix(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(spec(quirks=("no_dot_zero",)))
    endpoint = sim.endpoint("UPS-001")
    got = values(await manager.get(endpoint, BATTERY_STATUS, (*BATTERY_STATUS, 0)))
    assert got[BATTERY_STATUS] == ber.integer(2)
    assert got[(*BATTERY_STATUS, 0)].tag in (Tag.NO_SUCH_INSTANCE, Tag.NO_SUCH_OBJECT)
    names = [name for name, _ in await walk(manager, endpoint, UPS)]
    assert BATTERY_STATUS in names
    assert OUTPUT_VOLTAGE_1 in names  # table cells keep their index
    assert not [n for n in names if len(n) == 10 and n[-1] == 0]  # no scalar.0 left


async def test_the_system_group_keeps_dot_zero_even_with_no_dot_zero(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(spec(quirks=("no_dot_zero",)))
    got = values(await manager.get(sim.endpoint("UPS-001"), oid("1.3.6.1.2.1.1.2.0")))
    assert got[oid("1.3.6.1.2.1.1.2.0")].tag == Tag.OBJECT_IDENTIFIER


async def test_table_dot_zero_puts_a_stray_zero_after_table_indexes(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(spec(quirks=("table_dot_zero",)))
    endpoint = sim.endpoint("UPS-001")
    got = values(await manager.get(endpoint, OUTPUT_VOLTAGE_1, (*OUTPUT_VOLTAGE_1, 0)))
    assert got[(*OUTPUT_VOLTAGE_1, 0)] == ber.integer(230)
    assert got[OUTPUT_VOLTAGE_1].tag in (Tag.NO_SUCH_INSTANCE, Tag.NO_SUCH_OBJECT)
    assert values(await manager.get(endpoint, (*BATTERY_STATUS, 0)))[(*BATTERY_STATUS, 0)] == (
        ber.integer(2)
    )


async def test_partial_mib_serves_only_ident_battery_status_source_and_load(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(spec(quirks=("partial_mib",)))
    names = {name for name, _ in await walk(manager, sim.endpoint("UPS-001"), UPS)}
    assert (*UPS, 2, 1, 0) in names
    assert (*UPS, 4, 1, 0) in names
    assert (*UPS, 1, 2, 0) in names
    assert (*UPS, 2, 5, 0) not in names  # no battery voltage
    assert not [n for n in names if n[8] in (3, 5, 7, 8, 9)]
    assert len(names) < 20


async def test_scale_x10_reports_voltages_and_frequencies_ten_times_too_big(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(spec(quirks=("scale_x10",)))
    rows = dict(await walk(manager, sim.endpoint("UPS-001"), UPS))
    assert rows[OUTPUT_VOLTAGE_1] == ber.integer(2300)
    assert rows[(*UPS, 4, 2, 0)] == ber.integer(5000)
    assert 4900 <= number(rows[(*UPS, 3, 3, 1, 2, 1)]) <= 5100
    assert 5000 < number(rows[(*UPS, 2, 5, 0)]) < 6000
    assert rows[(*UPS, 2, 4, 0)] == ber.integer(100)  # percentages untouched
    assert rows[(*UPS, 9, 1, 0)] == ber.integer(230)  # nominal config untouched


async def test_garbage_answers_with_random_bytes(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim(spec(quirks=("garbage",)))
    manager.send_raw(
        ber.encode_message(ber.Message(1, b"public", ber.get_bulk_request(1, 0, 5, [UPS]))),
        sim.endpoint("UPS-001"),
    )
    got = await manager.receive_raw()
    assert got is not None
    with pytest.raises(BerError):
        ber.decode_message(got[0])


async def test_truncated_answers_with_a_cut_valid_response(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim(spec(quirks=("truncated",)))
    manager.send_raw(
        ber.encode_message(ber.Message(1, b"public", ber.get_bulk_request(1, 0, 5, [UPS]))),
        sim.endpoint("UPS-001"),
    )
    got = await manager.receive_raw()
    assert got is not None
    assert got[0][:1] == b"\x30"
    with pytest.raises(BerError):
        ber.decode_message(got[0])


async def test_half_answers_only_the_first_half_of_a_get(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim(spec(quirks=("half",)))
    asked = [(*UPS, 2, n, 0) for n in range(1, 7)]
    got = values(await manager.get(sim.endpoint("UPS-001"), *asked))
    assert [v.tag == Tag.NO_SUCH_OBJECT for v in got.values()] == [False] * 3 + [True] * 3


async def test_half_in_v1_fails_the_get_at_the_first_forgotten_oid(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(spec(quirks=("half",)))
    asked = [(*UPS, 2, n, 0) for n in range(1, 5)]
    reply = await manager.get(sim.endpoint("UPS-001"), *asked, version=0)
    assert reply is not None
    assert (response(reply).error_status, response(reply).error_index) == (2, 3)


async def test_quirks_combine_and_switch_at_run_time(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    endpoint = sim.endpoint("UPS-001")
    sim.set_quirks("UPS-001", ["no_dot_zero", "scale_x10"])
    got = values(await manager.get(endpoint, (*UPS, 4, 2), OUTPUT_VOLTAGE_1))
    assert got == {(*UPS, 4, 2): ber.integer(5000), OUTPUT_VOLTAGE_1: ber.integer(2300)}
    sim.set_quirks("UPS-001", [])
    got = values(await manager.get(endpoint, (*UPS, 4, 2, 0)))
    assert got == {(*UPS, 4, 2, 0): ber.integer(500)}
    with pytest.raises(ValueError, match="unknown quirks"):
        sim.set_quirks("UPS-001", ["wobbly"])


async def test_a_getbulk_across_a_no_dot_zero_tree_still_walks(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(spec(quirks=("no_dot_zero", "table_dot_zero")))
    reply = await manager.request(
        sim.endpoint("UPS-001"), PduType.GET_BULK_REQUEST, [(*UPS, 4)], max_repetitions=8
    )
    assert reply is not None
    names = [n for n, _ in reply.pdu.varbinds]
    assert names[:4] == [(*UPS, 4, 1), (*UPS, 4, 2), (*UPS, 4, 3), (*UPS, 4, 4, 1, 1, 1, 0)]
