"""Decoding and classification: pure, no sockets, no database."""

from __future__ import annotations

import pytest

from monitoring.snmp.ber import (
    BerError,
    Message,
    Pdu,
    PduType,
    decode_message,
    encode_message,
    integer,
    ip_address,
    octets,
    oid,
)
from monitoring.traps.decode import decode_trap
from monitoring.traps.events import TrapKind
from monitoring.traps.kinds import TRAP_RULES, classify, normalise, v1_trap_oid
from tests.traps.helpers import MINUTES_REMAINING_0, alarm_varbinds, v1_trap, v2c_trap

ON_BATTERY = "1.3.6.1.2.1.33.2.1"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.3.6.1.2.1.33.2.1", "1.3.6.1.2.1.33.2.1"),
        ("1.3.6.1.2.1.33.2.0.1", "1.3.6.1.2.1.33.2.1"),
        ("1.3.6.1.2.1.33.0.3", "1.3.6.1.2.1.33.2.3"),
        ("1.3.6.1.4.1.318.0.5", "1.3.6.1.4.1.318.0.5"),
        ("1.3.6.1.2.1.33.2.10", "1.3.6.1.2.1.33.2.10"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("enterprise", "generic", "specific", "expected"),
    [
        ("1.3.6.1.2.1.33.2", 6, 1, ON_BATTERY),
        ("1.3.6.1.2.1.33", 6, 4, "1.3.6.1.2.1.33.2.4"),
        ("1.3.6.1.4.1.318", 6, 5, "1.3.6.1.4.1.318.0.5"),
        ("1.3.6.1.4.1.318", 0, 0, "1.3.6.1.6.3.1.1.5.1"),  # coldStart
        ("1.3.6.1.4.1.318", 2, 0, "1.3.6.1.6.3.1.1.5.3"),  # linkDown
    ],
)
def test_v1_trap_oid(enterprise: str, generic: int, specific: int, expected: str) -> None:
    assert v1_trap_oid(enterprise, generic, specific) == expected


def test_v2c_both_forms_decode_to_the_same_trap() -> None:
    plain = decode_trap(v2c_trap(ON_BATTERY, [(MINUTES_REMAINING_0, integer(7))]))
    zero = decode_trap(v2c_trap("1.3.6.1.2.1.33.2.0.1", [(MINUTES_REMAINING_0, integer(7))]))
    assert plain.trap_oid == zero.trap_oid == ON_BATTERY
    assert plain.version == "2c"
    assert plain.community == b"public"
    assert plain.varbinds["1.3.6.1.2.1.33.1.2.3.0"] == 7
    # Lossless: the raw notification OID stays in the varbinds.
    assert zero.varbinds["1.3.6.1.6.3.1.1.4.1.0"] == "1.3.6.1.2.1.33.2.0.1"
    assert not plain.inform
    assert plain.ack is None


def test_v1_trap() -> None:
    trap = decode_trap(v1_trap(3, alarm_varbinds("LowBattery")))
    assert (trap.version, trap.trap_oid) == ("1", "1.3.6.1.2.1.33.2.3")
    assert classify(trap.trap_oid, trap.varbinds) == (TrapKind.ALARM_ADDED, "LowBattery")


def test_inform_gets_a_response_with_the_same_request_id_and_varbinds() -> None:
    trap = decode_trap(v2c_trap(ON_BATTERY, inform=True, request_id=777, community="c1"))
    assert trap.inform
    assert trap.ack is not None
    answer = decode_message(trap.ack)
    assert isinstance(answer.pdu, Pdu)
    assert (answer.version, answer.community) == (1, b"c1")
    assert (answer.pdu.type, answer.pdu.request_id, answer.pdu.error_status) == (
        PduType.RESPONSE,
        777,
        0,
    )
    assert answer.pdu.varbinds == decode_message(v2c_trap(ON_BATTERY)).pdu.varbinds


def test_values_become_json() -> None:
    varbinds = [
        (oid("1.3.6.1.4.1.9.1"), octets("text")),
        (oid("1.3.6.1.4.1.9.2"), octets(b"\x00\xff\x10")),
        (oid("1.3.6.1.4.1.9.3"), ip_address("127.1.2.3")),
    ]
    trap = decode_trap(v2c_trap(ON_BATTERY, varbinds))
    assert trap.varbinds["1.3.6.1.4.1.9.1"] == "text"
    assert trap.varbinds["1.3.6.1.4.1.9.2"] == "0x00ff10"
    assert trap.varbinds["1.3.6.1.4.1.9.3"] == "127.1.2.3"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30",
        b"garbage",
        v2c_trap(ON_BATTERY)[:-3],  # truncated
        encode_message(Message(1, b"public", Pdu(PduType.GET_REQUEST, 1, 0, 0, []))),
        v1_trap(1)[:2] + b"\x01" + v1_trap(1)[3:],  # v1 Trap-PDU claiming to be v2c
    ],
)
def test_anything_else_is_a_ber_error(data: bytes) -> None:
    with pytest.raises(BerError):
        decode_trap(data)


def test_v2c_without_trap_oid_is_rejected() -> None:
    message = Message(1, b"public", Pdu(PduType.SNMPV2_TRAP, 1, 0, 0, []))
    with pytest.raises(BerError):
        decode_trap(encode_message(message))


@pytest.mark.parametrize(
    ("trap_oid", "varbinds", "expected"),
    [
        (ON_BATTERY, {}, (TrapKind.ON_BATTERY, "OnBattery")),
        ("1.3.6.1.2.1.33.2.2", {}, (TrapKind.TEST_COMPLETED, None)),
        (
            "1.3.6.1.2.1.33.2.4",
            {"1.3.6.1.2.1.33.1.6.2.1.2.9": "1.3.6.1.2.1.33.1.6.3.2"},
            (TrapKind.ALARM_REMOVED, "OnBattery"),
        ),
        ("1.3.6.1.2.1.33.2.3", {}, (TrapKind.ALARM_ADDED, None)),  # no descr varbind
        (
            "1.3.6.1.2.1.33.2.3",
            {"1.3.6.1.2.1.33.1.6.2.1.2.9": "1.3.6.1.4.1.99.1"},  # vendor descr
            (TrapKind.ALARM_ADDED, None),
        ),
        ("1.3.6.1.4.1.318.0.5", {}, (TrapKind.ON_BATTERY, "OnBattery")),
        ("1.3.6.1.4.1.99999.0.1", {}, (TrapKind.OTHER, None)),
    ],
)
def test_classify(
    trap_oid: str, varbinds: dict[str, str], expected: tuple[TrapKind, str | None]
) -> None:
    assert classify(trap_oid, varbinds) == expected


def test_rules_are_normalised_oids() -> None:
    assert all(normalise(name) == name for name in TRAP_RULES)
