"""A small SNMP v1/v2c agent on loopback UDP, for client/engine tests and the benchmark.

Test infrastructure, not product code: it decodes requests and builds responses with
pysnmp's own `pysnmp.proto.api`, and can misbehave on purpose (silent, garbage, truncated,
half the varbinds, an agent that loops on one OID). The real simulator lives in
`simulator/`; this exists so the poller can be tested without it.

Run standalone (the benchmark does): `python -m tests.snmp.agent_fixture --count 25
--base-port 20000` serves 25 UPSs on 127.0.0.1:20000.. and prints "READY [ports]" when
bound (`--base-port 0`: any free ports).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902, rfc1905
from pysnmp.proto.api import verdec

from monitoring import mib
from monitoring.mib import Oid

MODES = ("normal", "silent", "garbage", "truncated", "half", "loop")


@dataclass(frozen=True)
class TimeTicks:
    """Marks an int as TimeTicks in a plain-value MIB dict."""

    value: int


def ups_mib(
    *,
    phases: int = 1,
    alarms: Iterable[Oid] = (),
    no_dot_zero: bool = False,
    stray_dot_zero: bool = False,
    partial: bool = False,
    name: str = "UPS-1",
) -> dict[Oid, Any]:
    """A plausible UPS-MIB as {oid: plain value}, with the field quirks on request."""
    u = mib.UPS_OBJECTS
    scalars: dict[Oid, Any] = {
        (*u, 1, 1): b"ACME",
        (*u, 1, 2): b"Smart 3000",
        (*u, 1, 3): b"fw 1.2",
        (*u, 1, 4): b"agent 4.5",
        (*u, 1, 5): name.encode(),
        (*u, 2, 1): 2,  # batteryNormal
        (*u, 2, 2): 0,
        (*u, 2, 3): 42,  # minutes
        (*u, 2, 4): 100,
        (*u, 2, 5): 546,  # 54.6 V
        (*u, 2, 6): -12,  # -1.2 A
        (*u, 2, 7): 25,
        (*u, 3, 1): 3,
        (*u, 3, 2): phases,
        (*u, 4, 1): 3,  # normal
        (*u, 4, 2): 500,
        (*u, 4, 3): phases,
        (*u, 5, 1): 500,
        (*u, 5, 2): phases,
        (*u, 6, 1): len(tuple(alarms)),
        (*u, 7, 3): 1,  # donePass
        (*u, 7, 4): b"ok",
        (*u, 9, 1): 230,
        (*u, 9, 2): 500,
        (*u, 9, 3): 230,
        (*u, 9, 4): 500,
        (*u, 9, 5): 3000,
        (*u, 9, 6): 2700,
        (*u, 9, 7): 2,
    }
    if partial:
        keep = {(*u, 1, 1), (*u, 1, 2), (*u, 2, 1), (*u, 2, 3), (*u, 2, 4), (*u, 4, 1)}
        scalars = {k: v for k, v in scalars.items() if k in keep}
    values: dict[Oid, Any] = {}
    for base, value in scalars.items():
        values[base if no_dot_zero else (*base, 0)] = value
    cells: dict[Oid, Any] = {}
    if not partial:
        for line in range(1, phases + 1):
            cells[(*mib.UPS_INPUT_FREQUENCY, line)] = 500
            cells[(*mib.UPS_INPUT_VOLTAGE, line)] = 229 + line
            cells[(*mib.UPS_INPUT_CURRENT, line)] = 50 + line
            cells[(*mib.UPS_INPUT_TRUE_POWER, line)] = 1000 + line
            cells[(*mib.UPS_OUTPUT_VOLTAGE, line)] = 230
            cells[(*mib.UPS_OUTPUT_CURRENT, line)] = 40 + line
            cells[(*mib.UPS_OUTPUT_POWER, line)] = 900 + line
            cells[(*mib.UPS_OUTPUT_PERCENT_LOAD, line)] = 30 + line
            cells[(*mib.UPS_BYPASS_VOLTAGE, line)] = 231
            cells[(*mib.UPS_BYPASS_CURRENT, line)] = 0
            cells[(*mib.UPS_BYPASS_POWER, line)] = 0
    else:
        cells[(*mib.UPS_OUTPUT_PERCENT_LOAD, 1)] = 31
    for alarm_id, descr in enumerate(alarms, start=1):
        cells[(*mib.UPS_ALARM_DESCR, alarm_id)] = tuple(descr)
        cells[(*mib.UPS_ALARM_TIME, alarm_id)] = TimeTicks(1000 * alarm_id)
    for oid, value in cells.items():
        values[(*oid, 0) if stray_dot_zero else oid] = value
    values[(*mib.SYS_OBJECT_ID, 0)] = mib.UPS_MIB
    values[(*mib.SYS_UPTIME, 0)] = TimeTicks(123456)
    return values


def _asn1(value: Any) -> Any:
    if isinstance(value, TimeTicks):
        return rfc1902.TimeTicks(value.value)
    if isinstance(value, bool):
        raise TypeError("bool is not an SNMP value")
    if isinstance(value, int):
        return rfc1902.Integer32(value)
    if isinstance(value, bytes | str):
        return rfc1902.OctetString(value)
    if isinstance(value, tuple):
        return rfc1902.ObjectIdentifier(value)
    return value  # already a pysnmp object


@dataclass
class Stats:
    requests: int = 0
    ignored: int = 0  # wrong community or undecodable
    answered: int = 0


class FakeAgent(asyncio.DatagramProtocol):
    """One simulated UPS on one UDP port."""

    def __init__(
        self,
        values: Mapping[Oid, Any],
        *,
        community: str = "public",
        mode: str = "normal",
        delay_s: float = 0.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.values = {tuple(k): _asn1(v) for k, v in values.items()}
        self.oids = sorted(self.values)
        self.community = community.encode()
        self.mode = mode
        self.delay_s = delay_s
        self.stats = Stats()
        self.transport: asyncio.DatagramTransport | None = None
        self.address: tuple[str, int] = ("127.0.0.1", 0)
        self._rng = random.Random(1628)
        self._loop_oid = next((o for o in self.oids if o[:7] == mib.UPS_MIB), self.oids[0])

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))
        self.transport = transport
        self.address = transport.get_extra_info("sockname")[:2]
        return self.address

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # -- protocol --------------------------------------------------------------------
    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # type: ignore[override]
        self.stats.requests += 1
        if self.mode == "silent":
            return
        reply = self.respond(data)
        if reply is None:
            self.stats.ignored += 1
            return
        if self.mode == "garbage":
            reply = bytes(self._rng.randrange(256) for _ in range(len(reply)))
        elif self.mode == "truncated":
            reply = reply[: len(reply) // 2]
        self.stats.answered += 1
        assert self.transport is not None
        if self.delay_s:
            asyncio.get_running_loop().call_later(self.delay_s, self.transport.sendto, reply, addr)
        else:
            self.transport.sendto(reply, addr)

    # -- SNMP ------------------------------------------------------------------------
    def _next(self, oid: Oid) -> tuple[Oid, Any] | None:
        if self.mode == "loop":
            return self._loop_oid, self.values[self._loop_oid]
        i = bisect.bisect_right(self.oids, oid)
        if i >= len(self.oids):
            return None
        found = self.oids[i]
        return found, self.values[found]

    def respond(self, data: bytes) -> bytes | None:
        try:
            version = int(verdec.decode_message_version(data))
            pmod = api.PROTOCOL_MODULES[version]
            request, _ = decoder.decode(data, asn1Spec=pmod.Message())
        except Exception:
            return None
        if bytes(pmod.apiMessage.get_community(request)) != self.community:
            return None  # agents stay silent on a wrong community
        response = pmod.apiMessage.get_response(request)
        req_pdu = pmod.apiMessage.get_pdu(request)
        rsp_pdu = pmod.apiMessage.get_pdu(response)
        names = [tuple(oid) for oid, _ in pmod.apiPDU.get_varbinds(req_pdu)]
        v1 = version == api.SNMP_VERSION_1
        out: list[tuple[Oid, Any]] = []
        error_index = 0
        if req_pdu.isSameTypeWith(pmod.GetRequestPDU()):
            for i, name in enumerate(names, start=1):
                value = self.values.get(name)
                if self.mode == "half" and i > (len(names) + 1) // 2:
                    value = None
                if value is None:
                    if v1:
                        error_index = error_index or i
                    value = rfc1905.noSuchObject
                out.append((name, value))
        elif req_pdu.isSameTypeWith(pmod.GetNextRequestPDU()):
            for i, name in enumerate(names, start=1):
                found = self._next(name)
                if found is None:
                    if v1:
                        error_index = error_index or i
                        found = (name, rfc1902.Null(""))
                    else:
                        found = (name, rfc1905.endOfMibView)
                out.append(found)
        elif not v1 and req_pdu.isSameTypeWith(pmod.GetBulkRequestPDU()):
            non_rep = int(pmod.apiBulkPDU.get_non_repeaters(req_pdu))
            max_rep = int(pmod.apiBulkPDU.get_max_repetitions(req_pdu))
            for name in names[:non_rep]:
                out.append(self._next(name) or (name, rfc1905.endOfMibView))
            cursor = names[non_rep:]
            for _ in range(max_rep if cursor else 0):
                row = []
                for i, name in enumerate(cursor):
                    found = self._next(name) or (name, rfc1905.endOfMibView)
                    row.append(found)
                    cursor[i] = found[0]
                out.extend(row)
                if all(v is rfc1905.endOfMibView for _, v in row):
                    break
            if self.mode == "half":
                out = out[: (len(out) + 1) // 2]
        else:
            return None
        if error_index:
            pmod.apiPDU.set_error_status(rsp_pdu, 2)
            pmod.apiPDU.set_error_index(rsp_pdu, error_index)
            out = [(name, rfc1902.Null("")) for name in names]
        pmod.apiPDU.set_varbinds(rsp_pdu, out)
        return encoder.encode(response)


@dataclass
class AgentFleet:
    agents: list[FakeAgent] = field(default_factory=list)

    def close(self) -> None:
        for agent in self.agents:
            agent.close()


async def start_fleet(
    count: int, *, host: str = "127.0.0.1", base_port: int = 0, phases: int = 3, **kw: Any
) -> AgentFleet:
    fleet = AgentFleet()
    for i in range(count):
        agent = FakeAgent(ups_mib(phases=phases, name=f"UPS-{i + 1:04d}"), **kw)
        await agent.start(host, base_port + i if base_port else 0)
        fleet.agents.append(agent)
    return fleet


async def _serve(args: argparse.Namespace) -> None:
    fleet = await start_fleet(
        args.count, host=args.host, base_port=args.base_port, phases=args.phases
    )
    ports = [agent.address[1] for agent in fleet.agents]
    print("READY", json.dumps(ports), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        fleet.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=25)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--base-port", type=int, default=20000)
    parser.add_argument("--phases", type=int, default=3)
    args = parser.parse_args()
    if not args.host.startswith("127."):
        parser.error("loopback addresses only")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
