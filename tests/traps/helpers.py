"""Trap datagrams and senders for the trap receiver tests (and the benchmark)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from monitoring.mib import ALARM_OIDS, UPS_ALARM_DESCR
from monitoring.snmp.ber import (
    Message,
    Oid,
    Pdu,
    PduType,
    TrapV1Pdu,
    VarBind,
    encode_message,
    integer,
    object_id,
    oid,
    timeticks,
)

UPS_TRAPS = oid("1.3.6.1.2.1.33.2")
SNMP_TRAP_OID = oid("1.3.6.1.6.3.1.1.4.1.0")
SYS_UPTIME_0 = oid("1.3.6.1.2.1.1.3.0")
MINUTES_REMAINING_0 = oid("1.3.6.1.2.1.33.1.2.3.0")


def alarm_varbinds(alarm: str, alarm_id: int = 1) -> list[VarBind]:
    return [
        ((*UPS_ALARM_DESCR[:-1], 1, alarm_id), integer(alarm_id)),
        ((*UPS_ALARM_DESCR, alarm_id), object_id(ALARM_OIDS[alarm])),
    ]


def v2c_trap(
    trap_oid: Oid | str,
    varbinds: list[VarBind] | None = None,
    *,
    community: str = "public",
    inform: bool = False,
    request_id: int = 1,
) -> bytes:
    name = oid(trap_oid) if isinstance(trap_oid, str) else trap_oid
    head: list[VarBind] = [(SYS_UPTIME_0, timeticks(12345)), (SNMP_TRAP_OID, object_id(name))]
    pdu_type = PduType.INFORM_REQUEST if inform else PduType.SNMPV2_TRAP
    pdu = Pdu(pdu_type, request_id, 0, 0, head + (varbinds or []))
    return encode_message(Message(1, community.encode(), pdu))


def v1_trap(
    specific: int,
    varbinds: list[VarBind] | None = None,
    *,
    enterprise: Oid | str = UPS_TRAPS,
    generic: int = 6,
    community: str = "public",
    agent: str = "127.0.0.1",
) -> bytes:
    pdu = TrapV1Pdu(
        oid(enterprise) if isinstance(enterprise, str) else enterprise,
        bytes(int(p) for p in agent.split(".")),
        generic,
        specific,
        4242,
        varbinds or [],
    )
    return encode_message(Message(0, community.encode(), pdu))


def on_battery(**kwargs: Any) -> bytes:
    return v2c_trap((*UPS_TRAPS, 1), [(MINUTES_REMAINING_0, integer(12))], **kwargs)


class Sender:
    """A UDP socket bound to one loopback source address (a card's address)."""

    def __init__(self, source: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, port))
        self.address = self.sock.getsockname()

    def send(self, data: bytes, target: tuple[str, int]) -> None:
        self.sock.sendto(data, target)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, every: float = 0.02) -> Any:
    """Poll until `predicate()` is truthy; the receiver writes from its own thread."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception as exc:  # e.g. SQLite "table is locked" while the receiver writes
            last_error = exc
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s (last error: {last_error})")
