"""RFC 1628 notifications as v1 or v2c trap datagrams.

Traps leave through the UPS's own agent socket (see `simulator.runtime`), so the source
address a receiver sees is the UPS's address, like a real card.
"""

from __future__ import annotations

from monitoring.snmp.ber import (
    Message,
    Oid,
    Pdu,
    PduType,
    TrapV1Pdu,
    Value,
    VarBind,
    encode_message,
    integer,
    object_id,
    octets,
    timeticks,
)
from simulator.fleet import UpsSpec
from simulator.mib import ALARM_DESCR_BASE, SYS_UPTIME, TEST_BASE, UPS_MIB, u
from simulator.model import LOW_BATTERY_MIN, AlarmEntry, UpsModel

UPS_TRAPS = (*UPS_MIB, 2)
SNMP_TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
GENERIC_ENTERPRISE_SPECIFIC = 6

# kind → trap number n of 1.3.6.1.2.1.33.2.n
TRAP_KINDS: dict[str, int] = {
    "on_battery": 1,
    "test_completed": 2,
    "alarm_added": 3,
    "alarm_removed": 4,
}
# Alarms that have a dedicated trap or none: RFC 1628 sends no AlarmEntryAdded for them.
NO_ADDED_TRAP = frozenset({2, 24})  # OnBattery, TestInProgress


def trap_oid(number: int, form: str = "plain") -> Oid:
    """``plain`` → 1.3.6.1.2.1.33.2.n (RFC 1628); ``zero`` → …33.2.0.n (SMIv1 conversion)."""
    return (*UPS_TRAPS, 0, number) if form == "zero" else (*UPS_TRAPS, number)


def trap_varbinds(kind: str, model: UpsModel, alarm: AlarmEntry | None = None) -> list[VarBind]:
    """The objects RFC 1628 lists for each notification."""
    if kind == "on_battery":
        return [
            (u(2, 3, 0), integer(int(model.runtime_min))),
            (u(2, 2, 0), integer(int(model.seconds_on_battery))),
            (u(9, 7, 0), integer(LOW_BATTERY_MIN)),
        ]
    if kind == "test_completed":
        return [
            (u(7, 1, 0), object_id((*TEST_BASE, model.test_id))),
            (u(7, 2, 0), integer(model.test_spinlock)),
            (u(7, 3, 0), integer(model.test_summary)),
            (u(7, 4, 0), octets(model.test_detail)),
            (u(7, 5, 0), timeticks(model.test_start_ticks & 0xFFFFFFFF)),
            (u(7, 6, 0), integer(int(model.test_elapsed_s))),
        ]
    if kind in ("alarm_added", "alarm_removed"):
        if alarm is None:  # a forced trap with no alarm at hand: a GeneralFault stand-in
            alarm = next(iter(model.alarms.values()), AlarmEntry(0, 18, 0))
        return [
            (u(6, 2, 1, 1, alarm.alarm_id), integer(alarm.alarm_id)),
            (u(6, 2, 1, 2, alarm.alarm_id), object_id((*ALARM_DESCR_BASE, alarm.descr))),
        ]
    raise ValueError(f"unknown trap kind {kind!r}; known: {', '.join(TRAP_KINDS)}")


def encode_trap(
    spec: UpsSpec,
    kind: str,
    varbinds: list[VarBind],
    uptime_ticks: int,
    agent_address: str,
    request_id: int = 0,
) -> bytes:
    """One trap datagram in the UPS's configured version, community and OID form."""
    number = TRAP_KINDS[kind]
    ticks = uptime_ticks & 0xFFFFFFFF
    community = spec.trap_community.encode()
    if spec.trap_version == "1":
        pdu = TrapV1Pdu(
            enterprise=UPS_TRAPS,
            agent_addr=bytes(int(p) for p in agent_address.split(".")),
            generic_trap=GENERIC_ENTERPRISE_SPECIFIC,
            specific_trap=number,
            time_stamp=ticks,
            varbinds=varbinds,
        )
        return encode_message(Message(0, community, pdu))
    head: list[tuple[Oid, Value]] = [
        (SYS_UPTIME, timeticks(ticks)),
        (SNMP_TRAP_OID, object_id(trap_oid(number, spec.trap_oid_form))),
    ]
    v2 = Pdu(PduType.SNMPV2_TRAP, request_id & 0x7FFFFFFF, 0, 0, head + varbinds)
    return encode_message(Message(1, community, v2))
