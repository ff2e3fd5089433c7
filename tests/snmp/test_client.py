"""SnmpClient over real UDP on loopback, against the FakeAgent (tests/snmp/agent_fixture)."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import pytest

from monitoring import mib
from monitoring.profiles import RFC1628
from monitoring.readings import Reading
from monitoring.snmp.client import RCVBUF_BYTES, SnmpClient, SnmpTimeout, Target, WalkResult
from monitoring.snmp.decode import NO_SUCH_OBJECT, decode
from tests.snmp.agent_fixture import ups_mib
from tests.snmp.conftest import StartAgent, target_of

SYS_OBJECT_ID_0 = (*mib.SYS_OBJECT_ID, 0)
MISSING = (1, 3, 6, 1, 2, 1, 33, 1, 99, 0)


async def walk_reading(client: SnmpClient, target: Target) -> tuple[WalkResult, Reading]:
    roots = RFC1628.v1_walk_roots if target.version == "1" else RFC1628.walk_roots
    result = await client.walk(target, roots, scalars=RFC1628.scalars)
    return result, decode(result.varbinds, RFC1628, notes=result.notes)


async def test_a_v2c_walk_of_a_three_phase_ups_takes_two_getbulk_round_trips(
    client: SnmpClient, start_agent: StartAgent
) -> None:
    agent = await start_agent(ups_mib(phases=3))

    result, reading = await walk_reading(client, target_of(agent))

    assert result.round_trips == 2
    assert agent.stats.requests == 2
    assert result.notes == []
    assert reading.sys_object_id == "1.3.6.1.2.1.33"
    assert len(reading.output) == 3
    assert reading.runtime_remaining_s == 2520


async def test_v1_and_v2c_walks_decode_to_the_same_reading(
    client: SnmpClient, start_agent: StartAgent
) -> None:
    agent = await start_agent(ups_mib(phases=3, alarms=[mib.ALARM_OIDS["OnBattery"]]))

    _, v2c = await walk_reading(client, target_of(agent))
    v1_result, v1 = await walk_reading(client, target_of(agent, version="1"))

    assert v1 == v2c
    assert v1_result.notes == []
    assert v1.alarms == ("OnBattery",)


@pytest.mark.parametrize("quirk", ["no_dot_zero", "stray_dot_zero"])
async def test_walking_an_agent_with_field_quirks_gives_the_clean_reading(
    client: SnmpClient, start_agent: StartAgent, quirk: str
) -> None:
    clean = await start_agent(ups_mib(phases=3))
    flags: dict[str, Any] = {quirk: True}
    quirky = await start_agent(ups_mib(phases=3, **flags))

    _, expected = await walk_reading(client, target_of(clean))
    _, reading = await walk_reading(client, target_of(quirky))

    assert reading == expected


@pytest.mark.parametrize("version", ["1", "2c"])
async def test_get_returns_values_in_request_order_and_marks_missing_objects(
    client: SnmpClient, start_agent: StartAgent, version: str
) -> None:
    agent = await start_agent()

    varbinds = await client.get(target_of(agent, version=version), [MISSING, SYS_OBJECT_ID_0])

    assert varbinds == [(MISSING, NO_SUCH_OBJECT), (SYS_OBJECT_ID_0, mib.UPS_MIB)]


async def test_an_agent_that_never_answers_is_a_timeout_after_exactly_the_configured_tries(
    client: SnmpClient, start_agent: StartAgent
) -> None:
    agent = await start_agent(mode="silent")
    target = target_of(agent, retries=2, timeout_s=0.2)

    with pytest.raises(SnmpTimeout) as raised:
        await client.walk(target, RFC1628.walk_roots)

    assert str(raised.value) == f"no response from 127.0.0.1:{agent.address[1]} after 3 tries"
    assert agent.stats.requests == 3  # retries live in one layer only


async def test_a_bound_socket_that_never_answers_times_out() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        async with SnmpClient() as client:
            with pytest.raises(SnmpTimeout, match=f"127.0.0.1:{port} after 1 tries"):
                await client.get(Target("127.0.0.1", port, timeout_s=0.2, retries=0), [(1, 3)])


async def test_a_wrong_community_looks_like_a_timeout_and_is_never_shown(
    client: SnmpClient, start_agent: StartAgent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agent = await start_agent(community="s3cr3t-ro")
    target = target_of(agent, community="wr0ng-c0mm")

    with pytest.raises(SnmpTimeout) as raised:
        await client.get(target, [SYS_OBJECT_ID_0])

    assert agent.stats.ignored == 2
    for text in (str(raised.value), repr(raised.value), repr(target), caplog.text):
        assert "wr0ng-c0mm" not in text
        assert "s3cr3t-ro" not in text


@pytest.mark.parametrize("mode", ["garbage", "truncated"])
async def test_undecodable_responses_are_dropped_and_end_as_a_timeout(
    client: SnmpClient, start_agent: StartAgent, mode: str
) -> None:
    agent = await start_agent(mode=mode)

    with pytest.raises(SnmpTimeout):
        await client.walk(target_of(agent), RFC1628.walk_roots, scalars=RFC1628.scalars)

    assert agent.stats.answered == 2  # it did answer, twice, with junk


async def test_the_client_still_works_after_junk_from_another_agent(
    client: SnmpClient, start_agent: StartAgent
) -> None:
    junk = await start_agent(mode="garbage")
    good = await start_agent()
    with pytest.raises(SnmpTimeout):
        await client.get(target_of(junk), [SYS_OBJECT_ID_0])

    assert await client.get(target_of(good), [SYS_OBJECT_ID_0]) == [(SYS_OBJECT_ID_0, mib.UPS_MIB)]


async def test_an_agent_answering_half_the_get_oids_gives_no_such_object_for_the_rest(
    client: SnmpClient, start_agent: StartAgent
) -> None:
    agent = await start_agent(mode="half")
    oids = [(*mib.UPS_ESTIMATED_CHARGE_REMAINING, 0), (*mib.UPS_OUTPUT_SOURCE, 0)]

    varbinds = await client.get(target_of(agent), oids)

    assert varbinds == [(oids[0], 100), (oids[1], NO_SUCH_OBJECT)]


async def test_a_walk_survives_responses_cut_to_half_their_varbinds(
    client: SnmpClient, start_agent: StartAgent
) -> None:
    full = await start_agent(ups_mib(phases=3))
    half = await start_agent(ups_mib(phases=3), mode="half")

    _, expected = await walk_reading(client, target_of(full))
    result, reading = await walk_reading(client, target_of(half))

    assert reading == expected
    assert result.round_trips > 2


@pytest.mark.parametrize("version", ["1", "2c"])
async def test_an_agent_that_returns_the_same_oid_forever_does_not_hang_the_walk(
    client: SnmpClient, start_agent: StartAgent, version: str
) -> None:
    agent = await start_agent(mode="loop")

    result, reading = await walk_reading(client, target_of(agent, version=version))

    assert result.round_trips <= 2
    assert any("non-increasing OID" in note for note in result.notes)
    assert reading.reachable


async def test_a_walk_stops_at_the_round_trip_cap_with_a_note(start_agent: StartAgent) -> None:
    agent = await start_agent(ups_mib(phases=3))

    async with SnmpClient(max_repetitions=2, max_round_trips=3) as client:
        result = await client.walk(target_of(agent), RFC1628.walk_roots)

    assert result.round_trips == 3
    assert len(result.varbinds) == 6
    assert result.notes == ["walk stopped after 3 round trips with 1 subtree(s) unfinished"]


async def test_walking_past_the_end_of_the_mib_stops_cleanly(
    client: SnmpClient, start_agent: StartAgent
) -> None:
    agent = await start_agent({(1, 3, 6, 1, 2, 1, 33, 1, 2, 4, 0): 55})

    for version in ("1", "2c"):
        result = await client.walk(target_of(agent, version=version), [mib.UPS_OBJECTS])

        assert result.varbinds == [((1, 3, 6, 1, 2, 1, 33, 1, 2, 4, 0), 55)]
        assert result.notes == []


async def test_the_engine_socket_gets_a_large_receive_buffer(
    client: SnmpClient, start_agent: StartAgent
) -> None:
    agent = await start_agent()
    await client.get(target_of(agent), [SYS_OBJECT_ID_0])

    granted = client.rcvbuf_effective

    assert granted is not None
    if os.geteuid() == 0:  # SO_RCVBUFFORCE; others are capped at net.core.rmem_max
        assert granted >= RCVBUF_BYTES


def test_a_target_never_shows_its_community() -> None:
    target = Target("127.0.0.1", 1161, community="hunter2")

    assert "hunter2" not in repr(target)
    assert target.address == "127.0.0.1:1161"


@pytest.mark.parametrize("kwargs", [{"version": "3"}, {"timeout_s": 0}, {"retries": -1}], ids=str)
def test_a_target_rejects_settings_it_cannot_honour(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        Target("127.0.0.1", **kwargs)  # type: ignore[arg-type]
