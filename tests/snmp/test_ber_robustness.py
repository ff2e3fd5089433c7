"""Malformed input never escapes as anything but BerError, and never hangs."""

from __future__ import annotations

import contextlib
import random
import time

import pytest

from monitoring.snmp import ber
from monitoring.snmp.ber import NULL, BerError, Message, Pdu, PduType, TrapV1Pdu, decode_message

SEED = 1628


def valid_messages() -> list[bytes]:
    ups = (1, 3, 6, 1, 2, 1, 33, 1)
    varbinds = [
        ((*ups, 2, 3, 0), ber.integer(-42)),
        ((*ups, 1, 1, 0), ber.octets("UNMS")),
        ((1, 3, 6, 1, 4, 1, 318, 1, 1, 1, 2, 2, 3, 0), ber.timeticks(360000)),
        ((*ups, 6, 2, 1, 2, 1), ber.object_id((*ups, 6, 3, 2))),
        ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1), ber.counter64(2**64 - 1)),
        ((*ups, 9, 9, 0), ber.NO_SUCH_INSTANCE),
    ]
    return [
        ber.encode_message(Message(1, b"public", Pdu(PduType.RESPONSE, 77, 0, 0, varbinds))),
        ber.encode_message(Message(1, b"public", ber.get_bulk_request(5, 0, 25, [ups]))),
        ber.encode_message(
            Message(0, b"private", Pdu(PduType.GET_REQUEST, -1, 0, 0, [(ups, NULL)] * 40))
        ),
        ber.encode_message(
            Message(0, b"t", TrapV1Pdu((1, 3, 6, 1, 2, 1, 33, 2), b"\x7f\0\0\x02", 6, 1, 9, []))
        ),
        ber.encode_message(Message(1, b"t", Pdu(PduType.SNMPV2_TRAP, 3, 0, 0, varbinds))),
    ]


def decode_or_bererror(data: bytes) -> None:
    """Decoding may succeed (a mutation can stay valid); any other exception fails the test."""
    with contextlib.suppress(BerError):
        decode_message(data)


def test_random_bytes_raise_only_ber_errors() -> None:
    rng = random.Random(SEED)
    for _ in range(20_000):
        decode_or_bererror(rng.randbytes(rng.randint(0, 200)))


def test_random_bytes_behind_a_plausible_header_raise_only_ber_errors() -> None:
    rng = random.Random(SEED + 1)
    for _ in range(20_000):
        body = b"\x02\x01\x01\x04\x06public" + rng.randbytes(rng.randint(0, 120))
        decode_or_bererror(b"\x30" + bytes([len(body)]) + body if len(body) < 128 else body)


@pytest.mark.parametrize("index", range(5))
def test_every_truncation_of_a_valid_message_is_a_ber_error(index: int) -> None:
    data = valid_messages()[index]
    decode_message(data)  # the whole message is fine
    for cut in range(len(data)):
        with pytest.raises(BerError):
            decode_message(data[:cut])


def test_mutated_valid_messages_decode_or_raise_ber_error() -> None:
    rng = random.Random(SEED + 2)
    originals = valid_messages()
    for _ in range(20_000):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        decode_or_bererror(bytes(data))


@pytest.mark.parametrize(
    ("hex_data", "why"),
    [
        ("", "empty"),
        ("30", "header cut"),
        ("3080020101", "indefinite length"),
        ("3084ffffffff020101", "length beyond the data"),
        ("3085ffffffffff020101", "length of length too large"),
        ("3003020101ff", "trailing bytes"),
        ("300302017f", "version 127"),
        ("3003020103", "SNMPv3"),
        ("30030201ff", "negative version"),
        ("300c020b0100000000000000000000", "huge integer"),
        ("3005020101040a", "community length overruns"),
        ("300f020101040170a108020101020100020100", "PDU without varbind list"),
    ],
)
def test_specific_malformations_are_ber_errors(hex_data: str, why: str) -> None:
    with pytest.raises(BerError):
        decode_message(bytes.fromhex(hex_data.replace(" ", "")))


def response_with_value(value_tlv: bytes, name_tlv: bytes = b"\x06\x02\x2b\x06") -> bytes:
    varbind = b"\x30" + bytes([len(name_tlv) + len(value_tlv)]) + name_tlv + value_tlv
    varbinds = b"\x30" + bytes([len(varbind)]) + varbind
    pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + varbinds
    body = b"\x02\x01\x01\x04\x01p\xa2" + bytes([len(pdu_body)]) + pdu_body
    return b"\x30" + bytes([len(body)]) + body


def test_the_value_helper_builds_a_valid_message() -> None:
    message = decode_message(response_with_value(b"\x02\x01\x05"))
    assert message.pdu.varbinds == [((1, 3, 6), ber.integer(5))]


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (b"\x02\x00", None),  # empty INTEGER
        (b"\x02\x05\x01\x00\x00\x00\x00", None),  # INTEGER beyond Integer32
        (b"\x41\x01\xff", None),  # negative Counter32
        (b"\x42\x05\x01\x00\x00\x00\x00", None),  # Gauge32 beyond 32 bits
        (b"\x46\x0a\x01" + b"\x00" * 9, None),  # Counter64 of 10 octets
        (b"\x40\x03\x7f\x00\x01", None),  # IpAddress of 3 octets
        (b"\x05\x01\x00", None),  # Null with content
        (b"\x80\x01\x00", None),  # noSuchObject with content
        (b"\x30\x00", None),  # constructed value
        (b"\x1f\x81\x01\x00", None),  # multi-octet tag
        (b"\x06\x00", None),  # empty OID value
        (b"\x05\x00", b"\x06\x02\x2b\x86"),  # OID name ending inside a sub-identifier
        (b"\x05\x00", b"\x06\x03\x2b\x80\x01"),  # non-minimal sub-identifier
        (b"\x05\x00", b"\x06\x07\x2b\x90\x80\x80\x80\x00\x01"),  # sub-identifier beyond 2^32
        (b"\x05\x00", b"\x04\x02\x2b\x06"),  # name that is not an OID
    ],
)
def test_malformed_values_are_ber_errors(value: bytes, name: bytes | None) -> None:
    with pytest.raises(BerError):
        decode_message(response_with_value(value, name or b"\x06\x02\x2b\x06"))


def test_an_oid_with_too_many_arcs_is_a_ber_error() -> None:
    long_name = b"\x06\x81\x82" + b"\x2b" + b"\x01" * 129  # 1.3 + 129 arcs (max is 128)
    varbind = b"\x30\x81\x87" + long_name + b"\x05\x00"
    varbinds = b"\x30\x81\x8a" + varbind
    pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + varbinds
    body = b"\x02\x01\x01\x04\x01p\xa2\x81" + bytes([len(pdu_body)]) + pdu_body
    data = b"\x30\x81" + bytes([len(body)]) + body
    with pytest.raises(BerError, match="OID"):
        decode_message(data)


def test_deep_nesting_is_refused_at_once_without_recursion() -> None:
    depth = 50_000
    data = b"".join(b"\x30\x84" + (6 * (depth - i)).to_bytes(4, "big") for i in range(depth))
    start = time.perf_counter()
    with pytest.raises(BerError):
        decode_message(data)
    assert time.perf_counter() - start < 0.5


def test_non_bytes_input_is_a_ber_error() -> None:
    with pytest.raises(BerError):
        decode_message("0\x03\x02\x01\x01")  # type: ignore[arg-type]


def test_ber_error_is_a_value_error() -> None:
    assert issubclass(BerError, ValueError)
