"""The lean BER codec: round trips, exact bytes, and agreement with pysnmp/pyasn1 both ways."""

from __future__ import annotations

from typing import Any

import pytest
from pyasn1.codec.ber import decoder as asn1_decoder
from pyasn1.codec.ber import encoder as asn1_encoder
from pysnmp.proto import api

from monitoring.snmp import ber
from monitoring.snmp.ber import (
    NULL,
    BerError,
    Message,
    Pdu,
    PduType,
    Tag,
    TrapV1Pdu,
    Value,
    decode_message,
    encode_message,
)

V1 = api.PROTOCOL_MODULES[api.SNMP_VERSION_1]
V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

APC_RUNTIME = (1, 3, 6, 1, 4, 1, 318, 1, 1, 1, 2, 2, 3, 0)
HUGE_ARCS = (1, 3, 6, 1, 4, 1, 4294967295, 128, 16383, 16384, 2097151, 2097152)

# (our value, pysnmp class name, pysnmp constructor argument); v1 lacks Counter64/exceptions.
VALUES_V1: list[tuple[Value, str, Any]] = [
    (ber.integer(0), "Integer", 0),
    (ber.integer(127), "Integer", 127),
    (ber.integer(128), "Integer", 128),
    (ber.integer(-1), "Integer", -1),
    (ber.integer(-128), "Integer", -128),
    (ber.integer(-129), "Integer", -129),
    (ber.integer(2**31 - 1), "Integer", 2**31 - 1),
    (ber.integer(-(2**31)), "Integer", -(2**31)),
    (ber.octets(b""), "OctetString", b""),
    (ber.octets(b"\x00\xffUPS \xc3\xa9" * 30), "OctetString", b"\x00\xffUPS \xc3\xa9" * 30),
    (NULL, "Null", ""),
    (ber.object_id((1, 3, 6, 1, 2, 1, 33)), "ObjectIdentifier", (1, 3, 6, 1, 2, 1, 33)),
    (ber.object_id(APC_RUNTIME), "ObjectIdentifier", APC_RUNTIME),
    (ber.object_id(HUGE_ARCS), "ObjectIdentifier", HUGE_ARCS),
    (ber.object_id((0, 0)), "ObjectIdentifier", (0, 0)),
    (ber.object_id((2, 999, 3)), "ObjectIdentifier", (2, 999, 3)),
    (ber.object_id((1, 39)), "ObjectIdentifier", (1, 39)),
    (ber.ip_address("127.0.0.2"), "IpAddress", "127.0.0.2"),
    (ber.counter32(0), "Counter32", 0),
    (ber.counter32(2**32 - 1), "Counter32", 2**32 - 1),
    (ber.gauge32(2**31), "Gauge32", 2**31),
    (ber.timeticks(123456789), "TimeTicks", 123456789),
    (ber.opaque(b"\x9f\x78\x04\x42\xf6\x00\x00"), "Opaque", b"\x9f\x78\x04\x42\xf6\x00\x00"),
]
VALUES_V2C = [
    *VALUES_V1,
    (ber.counter64(0), "Counter64", 0),
    (ber.counter64(2**63), "Counter64", 2**63),
    (ber.counter64(2**64 - 1), "Counter64", 2**64 - 1),
    (ber.NO_SUCH_OBJECT, "NoSuchObject", ""),
    (ber.NO_SUCH_INSTANCE, "NoSuchInstance", ""),
    (ber.END_OF_MIB_VIEW, "EndOfMibView", ""),
]
PYSNMP_TAGS = {
    "Integer": Tag.INTEGER,
    "Integer32": Tag.INTEGER,
    "OctetString": Tag.OCTET_STRING,
    "Null": Tag.NULL,
    "ObjectIdentifier": Tag.OBJECT_IDENTIFIER,
    "IpAddress": Tag.IP_ADDRESS,
    "Counter32": Tag.COUNTER32,
    "Counter": Tag.COUNTER32,  # SNMPv1 (RFC 1155) names
    "Gauge": Tag.GAUGE32,
    "Gauge32": Tag.GAUGE32,
    "Unsigned32": Tag.GAUGE32,
    "TimeTicks": Tag.TIMETICKS,
    "Opaque": Tag.OPAQUE,
    "Counter64": Tag.COUNTER64,
    "NoSuchObject": Tag.NO_SUCH_OBJECT,
    "NoSuchInstance": Tag.NO_SUCH_INSTANCE,
    "EndOfMibView": Tag.END_OF_MIB_VIEW,
}


V1_NAMES = {"Counter32": "Counter", "Gauge32": "Gauge"}


def pysnmp_value(module: Any, name: str, arg: Any) -> Any:
    if module is V1:
        name = V1_NAMES.get(name, name)
    return getattr(module, name)(arg)


def from_pysnmp(value: Any) -> Value:
    tag = PYSNMP_TAGS[type(value).__name__]
    if tag in (Tag.OCTET_STRING, Tag.OPAQUE, Tag.IP_ADDRESS):
        return Value(tag, bytes(value.asOctets()))
    if tag == Tag.OBJECT_IDENTIFIER:
        return Value(tag, tuple(value))
    if tag in (Tag.NULL, Tag.NO_SUCH_OBJECT, Tag.NO_SUCH_INSTANCE, Tag.END_OF_MIB_VIEW):
        return Value(tag, None)
    return Value(tag, int(value))


def pysnmp_message(module: Any, community: str, pdu: Any) -> bytes:
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community)
    module.apiMessage.set_pdu(message, pdu)
    return asn1_encoder.encode(message)


def pysnmp_decode(module: Any, data: bytes) -> Any:
    message, rest = asn1_decoder.decode(data, asn1Spec=module.Message())
    assert rest == b""
    return message


def response_with(values: list[tuple[Value, str, Any]]) -> Message:
    varbinds: list[ber.VarBind] = [
        ((1, 3, 6, 1, 2, 1, 33, 1, 9, n, 0), v) for n, (v, _, _) in enumerate(values, 1)
    ]
    return Message(1, b"public", Pdu(PduType.RESPONSE, 4242, 0, 0, varbinds))


# ------------------------------------------------------------------------------ basics


def test_a_get_request_encodes_to_the_textbook_bytes() -> None:
    message = Message(1, b"public", Pdu(PduType.GET_REQUEST, 1, 0, 0, [((1, 3, 6, 1), NULL)]))
    assert encode_message(message) == bytes.fromhex(
        "3021 020101 0406 7075626c6963 a014 020101 020100 020100 3009 3007 06032b0601 0500"
    )


def test_every_value_type_round_trips_through_our_own_codec() -> None:
    message = response_with(VALUES_V2C)
    assert decode_message(encode_message(message)) == message


def test_oids_print_and_parse_as_dotted_text() -> None:
    assert ber.oid(".1.3.6.1.2.1.33") == (1, 3, 6, 1, 2, 1, 33)
    assert ber.oid_str(APC_RUNTIME) == "1.3.6.1.4.1.318.1.1.1.2.2.3.0"
    with pytest.raises(BerError):
        ber.oid("1.3.six")


def test_a_get_bulk_request_keeps_non_repeaters_and_max_repetitions() -> None:
    pdu = ber.get_bulk_request(9, 1, 25, [(1, 3, 6, 1, 2, 1, 1, 3, 0), (1, 3, 6, 1, 2, 1, 33)])
    decoded = decode_message(encode_message(Message(1, b"c", pdu))).pdu
    assert isinstance(decoded, Pdu)
    assert (decoded.type, decoded.non_repeaters, decoded.max_repetitions) == (
        PduType.GET_BULK_REQUEST,
        1,
        25,
    )


@pytest.mark.parametrize("pdu_type", [t for t in PduType if t is not PduType.TRAP_V1])
def test_every_request_shaped_pdu_type_round_trips(pdu_type: PduType) -> None:
    message = Message(1, b"x", Pdu(pdu_type, -5, 2, 1, [((1, 3), ber.integer(1))]))
    assert decode_message(encode_message(message)) == message


def test_values_outside_their_type_range_are_refused_when_encoding() -> None:
    for bad in (
        ber.integer(2**31),
        ber.counter32(-1),
        ber.gauge32(2**32),
        ber.counter64(2**64),
        ber.object_id((3, 1)),
        ber.object_id((1, 40)),
        ber.object_id((1,)),
    ):
        with pytest.raises(BerError):
            ber.encode_varbind((1, 3), bad)


def test_the_encoded_response_fast_path_equals_the_general_encoder() -> None:
    message = response_with(VALUES_V1)
    joined = b"".join(ber.encode_varbind(n, v) for n, v in message.pdu.varbinds)
    assert ber.encode_response(1, b"public", 4242, 0, 0, joined) == encode_message(message)


# ------------------------------------------------------------------------------ vs pysnmp


@pytest.mark.parametrize(
    ("module", "version", "values"), [(V1, 0, VALUES_V1), (V2C, 1, VALUES_V2C)]
)
def test_pysnmp_decodes_what_we_encode(module: Any, version: int, values: list[Any]) -> None:
    message = response_with(values)
    message.version = version
    assert isinstance(message.pdu, Pdu)
    message.pdu.request_id = -12345
    decoded = pysnmp_decode(module, encode_message(message))
    pdu = module.apiMessage.get_pdu(decoded)
    assert int(module.apiMessage.get_version(decoded)) == version
    assert bytes(module.apiMessage.get_community(decoded)) == b"public"
    assert int(module.apiPDU.get_request_id(pdu)) == -12345
    got = [(tuple(n), from_pysnmp(v)) for n, v in module.apiPDU.get_varbinds(pdu)]
    assert got == message.pdu.varbinds


@pytest.mark.parametrize(
    ("module", "version", "values"), [(V1, 0, VALUES_V1), (V2C, 1, VALUES_V2C)]
)
def test_we_decode_what_pysnmp_encodes(module: Any, version: int, values: list[Any]) -> None:
    pdu = module.GetResponsePDU()
    module.apiPDU.set_defaults(pdu)
    module.apiPDU.set_request_id(pdu, 2**31 - 1)
    module.apiPDU.set_error_status(pdu, 2)
    module.apiPDU.set_error_index(pdu, 3)
    names = [(1, 3, 6, 1, 2, 1, 33, 1, 9, n, 0) for n in range(1, len(values) + 1)]
    module.apiPDU.set_varbinds(
        pdu,
        [
            (n, pysnmp_value(module, cls, arg))
            for n, (_, cls, arg) in zip(names, values, strict=True)
        ],
    )
    message = decode_message(pysnmp_message(module, "s3cret", pdu))
    assert (message.version, message.community) == (version, b"s3cret")
    assert isinstance(message.pdu, Pdu)
    assert (message.pdu.request_id, message.pdu.error_status, message.pdu.error_index) == (
        2**31 - 1,
        2,
        3,
    )
    assert message.pdu.varbinds == list(zip(names, [v for v, _, _ in values], strict=True))


@pytest.mark.parametrize(
    ("pysnmp_class", "pdu_type"),
    [
        ("GetRequestPDU", PduType.GET_REQUEST),
        ("GetNextRequestPDU", PduType.GET_NEXT_REQUEST),
        ("SetRequestPDU", PduType.SET_REQUEST),
        ("GetBulkRequestPDU", PduType.GET_BULK_REQUEST),
        ("InformRequestPDU", PduType.INFORM_REQUEST),
        ("SNMPv2TrapPDU", PduType.SNMPV2_TRAP),
        ("ReportPDU", PduType.REPORT),
    ],
)
def test_we_recognise_every_v2c_pdu_pysnmp_builds(pysnmp_class: str, pdu_type: PduType) -> None:
    pdu = getattr(V2C, pysnmp_class)()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, 7)
    V2C.apiPDU.set_varbinds(pdu, [((1, 3, 6, 1, 2, 1, 1, 3, 0), V2C.Null(""))])
    message = decode_message(pysnmp_message(V2C, "public", pdu))
    assert message.pdu.type is pdu_type
    assert message.pdu.varbinds == [((1, 3, 6, 1, 2, 1, 1, 3, 0), NULL)]


def test_pysnmp_reads_our_get_bulk_request() -> None:
    pdu = ber.get_bulk_request(31337, 2, 40, [(1, 3, 6, 1, 2, 1, 33)])
    decoded = pysnmp_decode(V2C, encode_message(Message(1, b"public", pdu)))
    bulk = V2C.apiMessage.get_pdu(decoded)
    assert int(V2C.apiBulkPDU.get_non_repeaters(bulk)) == 2
    assert int(V2C.apiBulkPDU.get_max_repetitions(bulk)) == 40
    assert int(V2C.apiBulkPDU.get_request_id(bulk)) == 31337


def test_a_v1_trap_survives_the_trip_to_pysnmp_and_back() -> None:
    trap = TrapV1Pdu(
        enterprise=(1, 3, 6, 1, 2, 1, 33, 2),
        agent_addr=bytes([127, 0, 55, 9]),
        generic_trap=6,
        specific_trap=1,
        time_stamp=2**32 - 1,
        varbinds=[((1, 3, 6, 1, 2, 1, 33, 1, 2, 3, 0), ber.integer(12))],
    )
    data = encode_message(Message(0, b"traps", trap))
    decoded = pysnmp_decode(V1, data)
    pdu = V1.apiMessage.get_pdu(decoded)
    assert tuple(V1.apiTrapPDU.get_enterprise(pdu)) == trap.enterprise
    assert V1.apiTrapPDU.get_agent_address(pdu).prettyPrint() == "127.0.55.9"
    assert int(V1.apiTrapPDU.get_generic_trap(pdu)) == 6
    assert int(V1.apiTrapPDU.get_specific_trap(pdu)) == 1
    assert int(V1.apiTrapPDU.get_timestamp(pdu)) == 2**32 - 1
    assert decode_message(asn1_encoder.encode(decoded)) == Message(0, b"traps", trap)


def test_a_v2c_trap_survives_the_trip_to_pysnmp_and_back() -> None:
    varbinds = [
        ((1, 3, 6, 1, 2, 1, 1, 3, 0), ber.timeticks(500)),
        ((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0), ber.object_id((1, 3, 6, 1, 2, 1, 33, 2, 0, 3))),
        (
            (1, 3, 6, 1, 2, 1, 33, 1, 6, 2, 1, 2, 7),
            ber.object_id((1, 3, 6, 1, 2, 1, 33, 1, 6, 3, 18)),
        ),
    ]
    message = Message(1, b"public", Pdu(PduType.SNMPV2_TRAP, 99, 0, 0, varbinds))
    decoded = pysnmp_decode(V2C, encode_message(message))
    pdu = V2C.apiMessage.get_pdu(decoded)
    assert [(tuple(n), from_pysnmp(v)) for n, v in V2C.apiPDU.get_varbinds(pdu)] == varbinds
    assert decode_message(asn1_encoder.encode(decoded)) == message


def test_decoding_costs_a_fraction_of_pyasn1() -> None:
    import timeit

    data = encode_message(response_with(VALUES_V2C[:25]))
    ours = min(timeit.repeat(lambda: decode_message(data), number=200, repeat=3))
    theirs = min(timeit.repeat(lambda: pysnmp_decode(V2C, data), number=20, repeat=3)) * 10
    assert ours < theirs / 4, (ours, theirs)
