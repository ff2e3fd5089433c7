"""One simulated UPS over real UDP, queried with our BER codec: GET, GETNEXT, GETBULK, SET."""

from __future__ import annotations

import socket

from monitoring.snmp import ber
from monitoring.snmp.ber import Pdu, PduType, Tag, oid
from simulator import Simulator, make_fleet
from tests.ports import free_port
from tests.simulator.conftest import StartSim, UdpPeer, fresh_address, spec

UPS = oid("1.3.6.1.2.1.33.1")
BATTERY = [(*UPS, 2, n, 0) for n in range(1, 8)]
SYS_OBJECT_ID = oid("1.3.6.1.2.1.1.2.0")
SYS_UPTIME = oid("1.3.6.1.2.1.1.3.0")
SYS_NAME = oid("1.3.6.1.2.1.1.5.0")


def values(message: ber.Message | None) -> dict[tuple[int, ...], ber.Value]:
    assert message is not None, "no answer"
    return dict(message.pdu.varbinds)


def response(message: ber.Message | None) -> Pdu:
    """The PDU of an agent's answer: always request-shaped, never a v1 Trap-PDU."""
    assert message is not None, "no answer"
    assert isinstance(message.pdu, Pdu), message.pdu
    return message.pdu


def number(value: ber.Value) -> int:
    """The integer inside an INTEGER, Gauge, Counter or TimeTicks value."""
    assert isinstance(value.value, int), value
    return value.value


def octets(value: ber.Value) -> bytes:
    assert isinstance(value.value, bytes), value
    return value.value


def object_id(value: ber.Value) -> tuple[int, ...]:
    assert isinstance(value.value, tuple), value
    return value.value


async def walk(
    manager: UdpPeer, endpoint: tuple[str, int], root: tuple[int, ...]
) -> list[ber.VarBind]:
    out: list[ber.VarBind] = []
    name = root
    while True:
        reply = await manager.request(endpoint, PduType.GET_NEXT_REQUEST, [name])
        assert reply is not None
        name, value = reply.pdu.varbinds[0]
        if value.tag == Tag.END_OF_MIB_VIEW or name[: len(root)] != root:
            return out
        out.append((name, value))


async def test_a_get_returns_the_rfc_1628_battery_group(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    got = values(await manager.get(sim.endpoint("UPS-001"), *BATTERY))
    assert list(got) == BATTERY
    assert got[(*UPS, 2, 1, 0)] == ber.integer(2)  # batteryNormal
    assert got[(*UPS, 2, 2, 0)] == ber.integer(0)  # not on battery
    assert 3 < number(got[(*UPS, 2, 3, 0)]) < 300  # minutes, not seconds
    assert got[(*UPS, 2, 4, 0)] == ber.integer(100)
    assert 480 < number(got[(*UPS, 2, 5, 0)]) < 600  # 0.1 V DC of a 48 V string
    assert got[(*UPS, 2, 7, 0)] == ber.integer(25)


async def test_the_system_group_has_description_object_id_uptime_and_name(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(spec("UPS-APC", sys_object_id="1.3.6.1.4.1.318.1.3.27"))
    got = values(
        await manager.get(
            sim.endpoint("UPS-APC"), oid("1.3.6.1.2.1.1.1.0"), SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME
        )
    )
    assert b"UPS simulator" in octets(got[oid("1.3.6.1.2.1.1.1.0")])
    assert got[SYS_OBJECT_ID] == ber.object_id("1.3.6.1.4.1.318.1.3.27")
    assert got[SYS_UPTIME].tag == Tag.TIMETICKS
    assert got[SYS_NAME] == ber.octets("UPS-APC")


async def test_the_default_sys_object_id_is_the_ups_mib(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    got = values(await manager.get(sim.endpoint("UPS-001"), SYS_OBJECT_ID))
    assert got[SYS_OBJECT_ID] == ber.object_id("1.3.6.1.2.1.33")


async def test_getnext_walks_the_whole_ups_mib_in_lexicographic_order(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim()
    names = [name for name, _ in await walk(manager, sim.endpoint("UPS-001"), UPS)]
    assert names == sorted(names)
    assert len(names) == len(set(names))
    groups = {name[8] for name in names}
    assert groups == set(range(1, 10))  # ident ... config
    for expected in (
        "1.1.0",
        "1.6.0",
        "2.7.0",
        "3.3.1.5.1",
        "4.4.1.5.1",
        "5.3.1.4.1",
        "6.1.0",
        "7.6.0",
        "8.5.0",
        "9.10.0",
    ):
        assert (*UPS, *oid(expected)) in names, expected


async def test_getnext_past_the_last_object_is_end_of_mib_view_in_v2c(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim()
    reply = await manager.request(sim.endpoint("UPS-001"), PduType.GET_NEXT_REQUEST, [(2, 1)])
    assert reply is not None
    assert reply.pdu.varbinds == [((2, 1), ber.END_OF_MIB_VIEW)]


async def test_getnext_past_the_end_is_no_such_name_in_v1(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    reply = await manager.request(
        sim.endpoint("UPS-001"), PduType.GET_NEXT_REQUEST, [(1, 3), (2, 1)], version=0
    )
    assert reply is not None
    assert (response(reply).error_status, response(reply).error_index) == (2, 2)


async def test_getbulk_honours_non_repeaters_and_max_repetitions(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim()
    reply = await manager.request(
        sim.endpoint("UPS-001"),
        PduType.GET_BULK_REQUEST,
        [oid("1.3.6.1.2.1.1.3"), (*UPS, 2), (*UPS, 4, 4, 1, 2)],
        non_repeaters=1,
        max_repetitions=3,
    )
    assert reply is not None
    names = [name for name, _ in reply.pdu.varbinds]
    assert names == [
        SYS_UPTIME,
        (*UPS, 2, 1, 0),
        (*UPS, 4, 4, 1, 2, 1),
        (*UPS, 2, 2, 0),
        (*UPS, 4, 4, 1, 3, 1),
        (*UPS, 2, 3, 0),
        (*UPS, 4, 4, 1, 4, 1),
    ]


async def test_getbulk_answers_fit_in_1400_bytes(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    endpoint = sim.endpoint("UPS-001")
    manager.send_raw(
        ber.encode_message(ber.Message(1, b"public", ber.get_bulk_request(7, 0, 500, [(1, 3)]))),
        endpoint,
    )
    got = await manager.receive_raw()
    assert got is not None
    assert len(got[0]) <= 1400
    assert len(ber.decode_message(got[0]).pdu.varbinds) > 20


async def test_getbulk_ends_with_end_of_mib_view(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    reply = await manager.request(
        sim.endpoint("UPS-001"), PduType.GET_BULK_REQUEST, [(*UPS, 9, 10)], max_repetitions=5
    )
    assert reply is not None
    tags = [value.tag for _, value in reply.pdu.varbinds]
    assert tags[-1] == Tag.END_OF_MIB_VIEW
    assert Tag.END_OF_MIB_VIEW not in tags[:-1]


async def test_v2c_tells_no_such_object_from_no_such_instance(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim()
    got = values(await manager.get(sim.endpoint("UPS-001"), (*UPS, 2, 99, 0), (*UPS, 2, 1, 7)))
    assert got[(*UPS, 2, 99, 0)] == ber.NO_SUCH_OBJECT
    assert got[(*UPS, 2, 1, 7)] == ber.NO_SUCH_INSTANCE


async def test_a_v1_get_of_a_missing_object_answers_no_such_name(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim()
    reply = await manager.get(sim.endpoint("UPS-001"), (*UPS, 2, 1, 0), (*UPS, 2, 99, 0), version=0)
    assert reply is not None
    pdu = response(reply)
    assert (reply.version, pdu.error_status, pdu.error_index) == (0, 2, 2)


async def test_a_wrong_community_gets_no_answer_and_is_counted(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim()
    assert (
        await manager.get(sim.endpoint("UPS-001"), SYS_UPTIME, community=b"wrong", timeout=0.3)
        is None
    )
    assert sim.status("UPS-001")[0]["stats"]["bad_community"] == 1


async def test_garbage_requests_are_ignored_and_counted(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    manager.send_raw(b"\x30\x03\x02\x01", sim.endpoint("UPS-001"))
    assert await manager.receive_raw(0.3) is None
    assert await manager.get(sim.endpoint("UPS-001"), SYS_UPTIME) is not None  # still alive
    assert sim.status("UPS-001")[0]["stats"]["malformed"] == 1


async def test_three_phase_models_have_three_lines_in_every_table(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim(spec("UPS-3PH", model="three"))
    endpoint = sim.endpoint("UPS-3PH")
    names = [name for name, _ in await walk(manager, endpoint, UPS)]
    for column in ((3, 3, 1, 3), (4, 4, 1, 2), (5, 3, 1, 2)):
        assert [n[-1] for n in names if n[8 : 8 + len(column)] == column] == [1, 2, 3]
    got = values(await manager.get(endpoint, (*UPS, 3, 2, 0), (*UPS, 4, 3, 0), (*UPS, 5, 2, 0)))
    assert {v.value for v in got.values()} == {3}


async def test_values_are_in_rfc_1628_units(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    rows = dict(await walk(manager, sim.endpoint("UPS-001"), UPS))
    assert 490 <= number(rows[(*UPS, 3, 3, 1, 2, 1)]) <= 510  # input 0.1 Hz
    assert 220 <= number(rows[(*UPS, 3, 3, 1, 3, 1)]) <= 240  # input V
    assert rows[(*UPS, 4, 1, 0)] == ber.integer(3)  # output source normal
    assert rows[(*UPS, 4, 2, 0)] == ber.integer(500)  # output 0.1 Hz
    assert rows[(*UPS, 4, 4, 1, 2, 1)] == ber.integer(230)  # output V
    load = number(rows[(*UPS, 4, 4, 1, 5, 1)])
    watts = number(rows[(*UPS, 4, 4, 1, 4, 1)])
    assert abs(watts - 2700 * load / 100) <= 30  # W follows % load of a 2700 W unit
    amps = number(rows[(*UPS, 4, 4, 1, 3, 1)]) / 10  # 0.1 A
    assert abs(amps * 230 - watts) < 50
    assert rows[(*UPS, 9, 1, 0)] == ber.integer(230)
    assert rows[(*UPS, 9, 2, 0)] == ber.integer(500)
    assert rows[(*UPS, 9, 7, 0)] == ber.integer(2)  # low battery time, minutes
    assert rows[(*UPS, 7, 3, 0)] == ber.integer(6)  # noTestsInitiated
    assert rows[(*UPS, 6, 1, 0)] == ber.gauge32(0)


async def test_values_refresh_while_the_model_runs(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim(tick_s=0.02, speed=50)
    endpoint = sim.endpoint("UPS-001")
    first = number(values(await manager.get(endpoint, SYS_UPTIME))[SYS_UPTIME])
    import asyncio

    await asyncio.sleep(0.2)
    later = number(values(await manager.get(endpoint, SYS_UPTIME))[SYS_UPTIME])
    assert later > first


TEST_ID = (*UPS, 7, 1, 0)
SPINLOCK = (*UPS, 7, 2, 0)
QUICK_BATTERY_TEST = ber.object_id((*UPS, 7, 7, 4))


async def set_test(manager: UdpPeer, sim: Simulator, lock: int, community: bytes = b"private"):
    return await manager.request(
        sim.endpoint("UPS-001"),
        PduType.SET_REQUEST,
        [(TEST_ID, QUICK_BATTERY_TEST), (SPINLOCK, ber.integer(lock))],
        community=community,
    )


async def test_setting_test_id_with_the_spinlock_starts_a_self_test(
    start_sim: StartSim, manager: UdpPeer
):
    sim = await start_sim()
    reply = await set_test(manager, sim, lock=0)
    assert reply is not None
    assert reply.pdu.error_status == 0
    got = values(await manager.get(sim.endpoint("UPS-001"), TEST_ID, SPINLOCK, (*UPS, 7, 3, 0)))
    assert got[TEST_ID] == QUICK_BATTERY_TEST
    assert got[SPINLOCK] == ber.integer(1)
    assert got[(*UPS, 7, 3, 0)] == ber.integer(5)  # inProgress
    assert sim.status("UPS-001")[0]["scenario"] == "self_test"


async def test_a_stale_spinlock_is_refused(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    reply = await set_test(manager, sim, lock=41)
    assert reply is not None
    assert (reply.pdu.error_status, reply.pdu.error_index) == (12, 2)  # inconsistentValue
    assert sim.status("UPS-001")[0]["scenario"] == "normal"


async def test_the_read_community_cannot_write(start_sim: StartSim, manager: UdpPeer):
    sim = await start_sim()
    reply = await set_test(manager, sim, lock=0, community=b"public")
    assert reply is not None
    assert reply.pdu.error_status == 6
    other = await manager.request(
        sim.endpoint("UPS-001"),
        PduType.SET_REQUEST,
        [(SYS_NAME, ber.octets("x"))],
        community=b"private",
    )
    assert other is not None
    assert response(other).error_status == 17


async def test_each_ups_answers_from_its_own_loopback_address(
    start_sim: StartSim, manager: UdpPeer
):
    base = fresh_address()
    fleet = make_fleet(3, base, port=free_port(base))
    sim = await start_sim(*fleet)
    for ups in fleet:
        endpoint = sim.endpoint(ups.name)
        assert endpoint == (ups.address, ups.port)
        manager.send_raw(
            ber.encode_message(
                ber.Message(1, b"public", Pdu(PduType.GET_REQUEST, 1, 0, 0, [(SYS_NAME, ber.NULL)]))
            ),
            endpoint,
        )
        got = await manager.receive_raw()
        assert got is not None
        assert got[1] == endpoint
        assert dict(ber.decode_message(got[0]).pdu.varbinds)[SYS_NAME] == ber.octets(ups.name)


async def test_a_busy_address_falls_back_to_127_0_0_1_on_the_next_ports(
    start_sim: StartSim, manager: UdpPeer
):
    address = fresh_address()
    port = free_port(address)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((address, port))
        sim = await start_sim(spec("UPS-001", address=address, port=port))
        host, fallback_port = sim.endpoint("UPS-001")
        assert host == "127.0.0.1"
        assert fallback_port > port
        assert sim.fallbacks == ["UPS-001"]
        assert await manager.get((host, fallback_port), SYS_NAME) is not None


async def test_port_zero_gives_every_ups_a_free_port_on_its_own_address(
    start_sim: StartSim, manager: UdpPeer
):
    base = fresh_address()
    fleet = make_fleet(2, base, port=0)
    sim = await start_sim(*fleet)
    for ups in fleet:
        host, port = sim.endpoint(ups.name)
        assert host == ups.address
        assert port > 0
        assert await manager.get((host, port), SYS_NAME) is not None
