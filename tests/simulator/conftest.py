"""Fixtures for simulator tests: fleets on private loopback addresses, a raw SNMP client
built on our BER codec, and a plain asyncio trap receiver (no snmptrapd)."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from monitoring.snmp import ber
from monitoring.snmp.ber import NULL, Message, Oid, Pdu, PduType, decode_message, encode_message
from simulator import Simulator, UpsSpec
from tests.ports import free_port

_octets = itertools.count(2)


def fresh_address() -> str:
    """A loopback address no other test of this run uses (random third octet: parallel runs)."""
    n = next(_octets)
    return f"127.{55 + n // 250 % 150}.{random.randrange(256)}.{2 + n % 250}"


def spec(name: str = "UPS-001", **options: Any) -> UpsSpec:
    address = options.pop("address", None) or fresh_address()
    port = options.pop("port", None) or free_port(address)
    return UpsSpec(name=name, address=address, port=port, **options)


StartSim = Callable[..., Awaitable[Simulator]]


@pytest.fixture
async def start_sim() -> AsyncIterator[StartSim]:
    """Start Simulators (fast ticks by default); all stopped after the test."""
    running: list[Simulator] = []

    async def start(*specs: UpsSpec, **options: Any) -> Simulator:
        options.setdefault("tick_s", 0.05)
        sim = Simulator(list(specs) or [spec()], **options)
        await sim.start()
        running.append(sim)
        return sim

    yield start
    for sim in running:
        await sim.stop()


class _Collector(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue[tuple[bytes, tuple[str, int]]]) -> None:
        self.queue = queue

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.queue.put_nowait((data, addr))


@dataclass
class UdpPeer:
    """One asyncio UDP socket on 127.0.0.1: a manager sending requests or a trap sink."""

    transport: asyncio.DatagramTransport
    queue: asyncio.Queue[tuple[bytes, tuple[str, int]]]
    address: tuple[str, int]
    request_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    @property
    def target(self) -> str:
        return f"{self.address[0]}:{self.address[1]}"

    async def receive_raw(self, timeout: float = 1.0) -> tuple[bytes, tuple[str, int]] | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    async def receive(self, timeout: float = 1.0) -> tuple[Message, tuple[str, int]] | None:
        got = await self.receive_raw(timeout)
        return None if got is None else (decode_message(got[0]), got[1])

    async def receive_all(self, timeout: float = 0.3) -> list[tuple[Message, tuple[str, int]]]:
        out = []
        while (got := await self.receive(timeout)) is not None:
            out.append(got)
        return out

    async def wait_for(
        self, predicate: Callable[[Message], bool], timeout: float = 5.0
    ) -> tuple[Message, tuple[str, int]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            got = await self.receive(left)
            if got is not None and predicate(got[0]):
                return got
        raise AssertionError("no matching datagram arrived in time")

    def send_raw(self, data: bytes, endpoint: tuple[str, int]) -> None:
        self.transport.sendto(data, endpoint)

    async def request(
        self,
        endpoint: tuple[str, int],
        pdu_type: PduType,
        oids: Sequence[Oid] | Sequence[tuple[Oid, ber.Value]],
        *,
        version: int = 1,
        community: bytes = b"public",
        non_repeaters: int = 0,
        max_repetitions: int = 0,
        timeout: float = 1.0,
    ) -> Message | None:
        varbinds = [o if isinstance(o[-1], ber.Value) else (o, NULL) for o in oids]
        request_id = next(self.request_ids)
        if pdu_type is PduType.GET_BULK_REQUEST:
            error_status, error_index = non_repeaters, max_repetitions
        else:
            error_status = error_index = 0
        pdu = Pdu(pdu_type, request_id, error_status, error_index, varbinds)  # type: ignore[arg-type]
        self.send_raw(encode_message(Message(version, community, pdu)), endpoint)
        got = await self.receive(timeout)
        if got is None:
            return None
        assert got[0].pdu.request_id == request_id  # type: ignore[union-attr]
        return got[0]

    async def get(self, endpoint: tuple[str, int], *oids: Oid, **kw: Any) -> Message | None:
        return await self.request(endpoint, PduType.GET_REQUEST, list(oids), **kw)

    def close(self) -> None:
        self.transport.close()


@pytest.fixture
async def udp() -> AsyncIterator[Callable[[], Awaitable[UdpPeer]]]:
    """Factory of UDP peers on 127.0.0.1 (free ports)."""
    peers: list[UdpPeer] = []

    async def make() -> UdpPeer:
        queue: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Collector(queue), local_addr=("127.0.0.1", 0)
        )
        peer = UdpPeer(transport, queue, transport.get_extra_info("sockname")[:2])  # type: ignore[arg-type]
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.close()


@pytest.fixture
async def manager(udp: Callable[[], Awaitable[UdpPeer]]) -> UdpPeer:
    return await udp()


@pytest.fixture
async def trap_sink(udp: Callable[[], Awaitable[UdpPeer]]) -> UdpPeer:
    return await udp()


def require_netsnmp() -> None:
    """Skip without net-snmp tools, unless CI demands them (UNMS_REQUIRE_NETSNMP)."""
    if shutil.which("snmpget") and shutil.which("snmpbulkwalk"):
        return
    if os.environ.get("UNMS_REQUIRE_NETSNMP"):
        pytest.fail("UNMS_REQUIRE_NETSNMP is set but net-snmp's snmpget/snmpbulkwalk are missing")
    pytest.skip("net-snmp CLI tools (apt package 'snmp') are not installed")
