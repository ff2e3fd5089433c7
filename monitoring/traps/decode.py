"""One datagram → one `DecodedTrap` (or `BerError`), with the stdlib BER codec.

pyasn1 costs ~0.43 ms per trap (snmp-performance.md); `monitoring.snmp.ber` a few tens
of microseconds, which is what lets one receiver hold thousands of traps per second.
Values become JSON-ready here so that storing and dispatching never look at BER again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from monitoring.snmp.ber import (
    BerError,
    Message,
    Pdu,
    PduType,
    Tag,
    TrapV1Pdu,
    Value,
    decode_message,
    encode_response,
    encode_varbind,
    oid_str,
)
from monitoring.traps.kinds import SNMP_TRAP_OID, normalise, v1_trap_oid

VERSIONS = {0: "1", 1: "2c"}


@dataclass(frozen=True, slots=True)
class DecodedTrap:
    version: str  # "1" | "2c" (SnmpVersion values)
    community: bytes  # compared, never stored or logged
    trap_oid: str  # normalised
    varbinds: dict[str, Any]
    inform: bool
    ack: bytes | None  # the Response an InformRequest wants back


def _text(raw: bytes) -> str:
    # Readable strings stay readable; anything else (MACs, binary counters) as hex, so the
    # JSON column never holds undecodable bytes.
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        return "0x" + raw.hex()
    if text.isprintable() or all(c.isprintable() or c in "\t\r\n" for c in text):
        return text
    return "0x" + raw.hex()


def _none(_: object) -> None:
    return None


# SMI type → JSON form. Integers of every width stay ints; OIDs and addresses dotted.
_JSON: dict[Tag, Callable[[Any], Any]] = {
    Tag.INTEGER: int,
    Tag.COUNTER32: int,
    Tag.GAUGE32: int,
    Tag.TIMETICKS: int,
    Tag.COUNTER64: int,
    Tag.OCTET_STRING: _text,
    Tag.OPAQUE: lambda raw: "0x" + raw.hex(),
    Tag.OBJECT_IDENTIFIER: oid_str,
    Tag.IP_ADDRESS: lambda raw: ".".join(map(str, raw)),
    Tag.NULL: _none,
    Tag.NO_SUCH_OBJECT: _none,
    Tag.NO_SUCH_INSTANCE: _none,
    Tag.END_OF_MIB_VIEW: _none,
}


def json_value(value: Value) -> Any:
    return _JSON[value.tag](value.value)


def _v1(message: Message, pdu: TrapV1Pdu) -> DecodedTrap:
    trap_oid = v1_trap_oid(oid_str(pdu.enterprise), pdu.generic_trap, pdu.specific_trap)
    varbinds = {oid_str(name): json_value(value) for name, value in pdu.varbinds}
    return DecodedTrap("1", message.community, trap_oid, varbinds, inform=False, ack=None)


def _v2(message: Message, pdu: Pdu) -> DecodedTrap:
    # Every varbind is kept, sysUpTime.0 and snmpTrapOID.0 included: lossless, and the
    # raw (un-normalised) trap OID stays visible to whoever debugs a card.
    varbinds = {oid_str(name): json_value(value) for name, value in pdu.varbinds}
    raw_oid = varbinds.get(SNMP_TRAP_OID)
    if not isinstance(raw_oid, str) or not raw_oid[:1].isdigit():
        raise BerError("v2c notification without an snmpTrapOID.0 object identifier")
    inform = pdu.type is PduType.INFORM_REQUEST
    ack = None
    if inform:
        # RFC 3416 §4.2.7: a Response with the same request-id and variable bindings.
        body = b"".join(encode_varbind(name, value) for name, value in pdu.varbinds)
        ack = encode_response(message.version, message.community, pdu.request_id, 0, 0, body)
    return DecodedTrap("2c", message.community, normalise(raw_oid), varbinds, inform, ack)


def decode_trap(data: bytes) -> DecodedTrap:
    """Decode a v1 Trap, v2c Trap or v2c InformRequest; `BerError` for anything else."""
    message = decode_message(data)
    pdu = message.pdu
    if isinstance(pdu, TrapV1Pdu):
        if message.version != 0:
            raise BerError("a v1 Trap-PDU inside a v2c message")
        return _v1(message, pdu)
    if message.version == 1 and pdu.type in (PduType.SNMPV2_TRAP, PduType.INFORM_REQUEST):
        return _v2(message, pdu)
    raise BerError(f"not a notification: {pdu.type.name} in SNMP v{VERSIONS[message.version]}")
