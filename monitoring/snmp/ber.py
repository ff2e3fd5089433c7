"""A lean SNMP v1/v2c message codec (BER subset), stdlib only.

Why: pyasn1 costs ~1.5 ms to decode a 25-varbind response and ~0.4 ms per trap
(snmp-performance.md). The simulator answers from pre-encoded varbinds and the trap
receiver decodes in bulk; both need a codec that costs a few tens of microseconds.

Scope: the SNMP message shapes of RFC 1157 (v1) and RFC 3416 (v2c) only, not general
ASN.1. The decoder walks the fixed message structure without recursion, so nesting
cannot blow the stack, and every malformed input raises `BerError` (a ValueError).

Representation
--------------
* An OID is a ``tuple[int, ...]`` (``oid("1.3.6.1")`` and ``oid_str`` convert).
* A value is a `Value` named tuple ``(tag, value)``; ``tag`` is a `Tag` and ``value``
  the Python form: ``int`` for Integer/Counter32/Gauge32/TimeTicks/Counter64,
  ``bytes`` for OctetString/Opaque/IpAddress (4 bytes), ``tuple[int, ...]`` for
  ObjectIdentifier and ``None`` for Null and the v2 exceptions. Build them with
  ``integer(5)``, ``octets("x")``, ``gauge32(1)``, ``ip_address("127.0.0.2")`` ... or
  use the constants `NULL`, `NO_SUCH_OBJECT`, `NO_SUCH_INSTANCE`, `END_OF_MIB_VIEW`.
* A varbind is ``tuple[Oid, Value]``.
* `Message` = version (0 v1, 1 v2c) + community (bytes) + a `Pdu` or a `TrapV1Pdu`.
  `Pdu` serves every request-shaped PDU; for GetBulk, ``error_status`` and
  ``error_index`` carry non-repeaters and max-repetitions (aliases provided).

Strictness (decode): definite lengths only, lengths must match exactly, no trailing
bytes; INTEGER within Integer32, unsigned types within their range and non-negative;
OID sub-identifiers within 32 bits, at most 128 of them, minimal encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple

__all__ = [
    "END_OF_MIB_VIEW",
    "NO_SUCH_INSTANCE",
    "NO_SUCH_OBJECT",
    "NULL",
    "BerError",
    "ErrorStatus",
    "Message",
    "Oid",
    "Pdu",
    "PduType",
    "Tag",
    "TrapV1Pdu",
    "Value",
    "VarBind",
    "counter32",
    "counter64",
    "decode_message",
    "encode_message",
    "encode_oid",
    "encode_response",
    "encode_varbind",
    "gauge32",
    "integer",
    "ip_address",
    "object_id",
    "octets",
    "oid",
    "oid_str",
    "opaque",
    "timeticks",
]

Oid = tuple[int, ...]

MAX_OID_LENGTH = 128  # RFC 2578 §7.1.3
_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF
_I32_MIN = -0x80000000
_I32_MAX = 0x7FFFFFFF


class BerError(ValueError):
    """The bytes are not a well-formed SNMP v1/v2c message (or a value is unencodable)."""


class Tag(IntEnum):
    INTEGER = 0x02
    OCTET_STRING = 0x04
    NULL = 0x05
    OBJECT_IDENTIFIER = 0x06
    SEQUENCE = 0x30
    IP_ADDRESS = 0x40
    COUNTER32 = 0x41
    GAUGE32 = 0x42
    TIMETICKS = 0x43
    OPAQUE = 0x44
    COUNTER64 = 0x46
    NO_SUCH_OBJECT = 0x80
    NO_SUCH_INSTANCE = 0x81
    END_OF_MIB_VIEW = 0x82


class PduType(IntEnum):
    GET_REQUEST = 0xA0
    GET_NEXT_REQUEST = 0xA1
    RESPONSE = 0xA2
    SET_REQUEST = 0xA3
    TRAP_V1 = 0xA4
    GET_BULK_REQUEST = 0xA5
    INFORM_REQUEST = 0xA6
    SNMPV2_TRAP = 0xA7
    REPORT = 0xA8


class ErrorStatus(IntEnum):
    NO_ERROR = 0
    TOO_BIG = 1
    NO_SUCH_NAME = 2  # v1 only
    BAD_VALUE = 3  # v1 only
    READ_ONLY = 4  # v1 only
    GEN_ERR = 5
    NO_ACCESS = 6
    WRONG_TYPE = 7
    WRONG_LENGTH = 8
    WRONG_ENCODING = 9
    WRONG_VALUE = 10
    NO_CREATION = 11
    INCONSISTENT_VALUE = 12
    RESOURCE_UNAVAILABLE = 13
    COMMIT_FAILED = 14
    UNDO_FAILED = 15
    AUTHORIZATION_ERROR = 16
    NOT_WRITABLE = 17
    INCONSISTENT_NAME = 18


class Value(NamedTuple):
    """One typed SNMP value: ``tag`` says the SMI type, ``value`` is its Python form."""

    tag: Tag
    value: int | bytes | tuple[int, ...] | None

    def __repr__(self) -> str:
        return f"{self.tag.name}({self.value!r})"


VarBind = tuple[Oid, Value]

NULL = Value(Tag.NULL, None)
NO_SUCH_OBJECT = Value(Tag.NO_SUCH_OBJECT, None)
NO_SUCH_INSTANCE = Value(Tag.NO_SUCH_INSTANCE, None)
END_OF_MIB_VIEW = Value(Tag.END_OF_MIB_VIEW, None)


def integer(value: int) -> Value:
    return Value(Tag.INTEGER, int(value))


def octets(value: bytes | str) -> Value:
    return Value(Tag.OCTET_STRING, value.encode() if isinstance(value, str) else bytes(value))


def object_id(value: Oid | str) -> Value:
    return Value(Tag.OBJECT_IDENTIFIER, oid(value) if isinstance(value, str) else tuple(value))


def ip_address(value: bytes | str) -> Value:
    raw = bytes(int(p) for p in value.split(".")) if isinstance(value, str) else bytes(value)
    if len(raw) != 4:
        raise BerError(f"IpAddress needs 4 octets, got {len(raw)}")
    return Value(Tag.IP_ADDRESS, raw)


def counter32(value: int) -> Value:
    return Value(Tag.COUNTER32, int(value))


def gauge32(value: int) -> Value:
    return Value(Tag.GAUGE32, int(value))


def timeticks(value: int) -> Value:
    return Value(Tag.TIMETICKS, int(value))


def opaque(value: bytes) -> Value:
    return Value(Tag.OPAQUE, bytes(value))


def counter64(value: int) -> Value:
    return Value(Tag.COUNTER64, int(value))


def oid(text: str) -> Oid:
    """``"1.3.6.1"`` or ``".1.3.6.1"`` → ``(1, 3, 6, 1)``."""
    try:
        return tuple(int(part) for part in text.strip().strip(".").split("."))
    except ValueError:
        raise BerError(f"not a numeric OID: {text!r}") from None


def oid_str(value: Oid) -> str:
    return ".".join(map(str, value))


# --------------------------------------------------------------------------- messages


@dataclass(slots=True)
class Pdu:
    """Every request-shaped PDU (Get, GetNext, Response, Set, GetBulk, Inform, v2 Trap, Report).

    For GetBulk the wire fields at the error-status/error-index positions are
    non-repeaters and max-repetitions; use the aliases for readability.
    """

    type: PduType
    request_id: int = 0
    error_status: int = 0
    error_index: int = 0
    varbinds: list[VarBind] = field(default_factory=list)

    @property
    def non_repeaters(self) -> int:
        return self.error_status

    @property
    def max_repetitions(self) -> int:
        return self.error_index


@dataclass(slots=True)
class TrapV1Pdu:
    """The SNMPv1 Trap-PDU (RFC 1157 §4.1.6). ``agent_addr`` is 4 raw octets."""

    enterprise: Oid
    agent_addr: bytes
    generic_trap: int
    specific_trap: int
    time_stamp: int
    varbinds: list[VarBind] = field(default_factory=list)
    type: PduType = PduType.TRAP_V1


@dataclass(slots=True)
class Message:
    version: int  # 0 = v1, 1 = v2c
    community: bytes
    pdu: Pdu | TrapV1Pdu


def get_bulk_request(
    request_id: int, non_repeaters: int, max_repetitions: int, oids: list[Oid]
) -> Pdu:
    """Convenience for building a GetBulk PDU with the right field order."""
    return Pdu(
        PduType.GET_BULK_REQUEST,
        request_id,
        non_repeaters,
        max_repetitions,
        [(o, NULL) for o in oids],
    )


# --------------------------------------------------------------------------- encoding


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    if n < 0x10000:
        return bytes((0x82, n >> 8, n & 0xFF))
    return b"\x83" + n.to_bytes(3, "big")


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _len(len(body)) + body


def _int_body(n: int) -> bytes:
    # Minimal two's complement: one sign bit more than the magnitude needs.
    return n.to_bytes(((n + (n < 0)).bit_length() + 8) // 8, "big", signed=True)


def _oid_body(value: Oid) -> bytes:
    if len(value) < 2:
        raise BerError(f"OID needs at least two arcs: {value!r}")
    if len(value) > MAX_OID_LENGTH:
        raise BerError(f"OID longer than {MAX_OID_LENGTH} arcs")
    first, second = value[0], value[1]
    if first not in (0, 1, 2) or second < 0 or (first < 2 and second > 39):
        raise BerError(f"invalid first arcs {first}.{second}")
    out = bytearray()
    for sub in (first * 40 + second, *value[2:]):
        if sub < 0 or sub > _U32 + 80:  # first packed arc may exceed 32 bits by 80
            raise BerError(f"OID sub-identifier out of range: {sub}")
        if sub < 0x80:
            out.append(sub)
            continue
        chunk = []
        while sub:
            chunk.append((sub & 0x7F) | 0x80)
            sub >>= 7
        chunk[0] &= 0x7F
        out.extend(reversed(chunk))
    return bytes(out)


_OID_CACHE_MAX = 8192  # the same few hundred OIDs recur in every poll and trap
_ENCODED_OID_CACHE: dict[Oid, bytes] = {}


def encode_oid(value: Oid) -> bytes:
    """The full OBJECT IDENTIFIER TLV (cached: agents and pollers reuse the same names)."""
    if not isinstance(value, tuple):
        value = tuple(value)
    cached = _ENCODED_OID_CACHE.get(value)
    if cached is None:
        cached = _tlv(Tag.OBJECT_IDENTIFIER, _oid_body(value))
        if len(_ENCODED_OID_CACHE) >= _OID_CACHE_MAX:
            _ENCODED_OID_CACHE.clear()
        _ENCODED_OID_CACHE[value] = cached
    return cached


_RANGES = {
    Tag.INTEGER: (_I32_MIN, _I32_MAX),
    Tag.COUNTER32: (0, _U32),
    Tag.GAUGE32: (0, _U32),
    Tag.TIMETICKS: (0, _U32),
    Tag.COUNTER64: (0, _U64),
}


def encode_value(value: Value) -> bytes:
    tag, raw = value
    if tag in _RANGES:
        low, high = _RANGES[tag]
        if not isinstance(raw, int) or not low <= raw <= high:
            raise BerError(f"{Tag(tag).name} value out of range: {raw!r}")
        return _tlv(tag, _int_body(raw))
    if tag in (Tag.OCTET_STRING, Tag.OPAQUE, Tag.IP_ADDRESS):
        if not isinstance(raw, bytes | bytearray):
            raise BerError(f"{Tag(tag).name} needs bytes, got {type(raw).__name__}")
        if tag == Tag.IP_ADDRESS and len(raw) != 4:
            raise BerError("IpAddress needs 4 octets")
        return _tlv(tag, bytes(raw))
    if tag == Tag.OBJECT_IDENTIFIER:
        if not isinstance(raw, tuple):
            raise BerError("ObjectIdentifier needs a tuple of ints")
        return _tlv(tag, _oid_body(raw))
    if tag in (Tag.NULL, Tag.NO_SUCH_OBJECT, Tag.NO_SUCH_INSTANCE, Tag.END_OF_MIB_VIEW):
        return bytes((tag, 0))
    raise BerError(f"cannot encode tag 0x{int(tag):02x}")


def encode_varbind(name: Oid, value: Value) -> bytes:
    """One complete VarBind SEQUENCE; the simulator pre-encodes its MIB with this."""
    return _tlv(Tag.SEQUENCE, encode_oid(name) + encode_value(value))


def _envelope(version: int, community: bytes, pdu: bytes) -> bytes:
    return _tlv(Tag.SEQUENCE, _tlv(Tag.INTEGER, _int_body(version)) + _tlv(0x04, community) + pdu)


def encode_response(
    version: int,
    community: bytes,
    request_id: int,
    error_status: int,
    error_index: int,
    encoded_varbinds: bytes,
    pdu_type: int = PduType.RESPONSE,
) -> bytes:
    """A whole message from already-encoded varbinds (concatenated `encode_varbind` output).

    The fast path: the simulator joins pre-encoded varbinds and only the header is built here.
    """
    body = (
        _tlv(Tag.INTEGER, _int_body(request_id))
        + _tlv(Tag.INTEGER, _int_body(error_status))
        + _tlv(Tag.INTEGER, _int_body(error_index))
        + _tlv(Tag.SEQUENCE, encoded_varbinds)
    )
    return _envelope(version, community, _tlv(pdu_type, body))


def encode_message(message: Message) -> bytes:
    """Encode any v1/v2c message (requests, responses, v1 and v2c traps)."""
    if message.version not in (0, 1):
        raise BerError(f"unsupported SNMP version {message.version}")
    pdu = message.pdu
    varbinds = b"".join(encode_varbind(n, v) for n, v in pdu.varbinds)
    if isinstance(pdu, TrapV1Pdu):
        if len(pdu.agent_addr) != 4:
            raise BerError("agent-addr needs 4 octets")
        if not 0 <= pdu.time_stamp <= _U32:
            raise BerError(f"time-stamp out of range: {pdu.time_stamp}")
        body = (
            encode_oid(pdu.enterprise)
            + _tlv(Tag.IP_ADDRESS, bytes(pdu.agent_addr))
            + _tlv(Tag.INTEGER, _int_body(pdu.generic_trap))
            + _tlv(Tag.INTEGER, _int_body(pdu.specific_trap))
            + _tlv(Tag.TIMETICKS, _int_body(pdu.time_stamp))
            + _tlv(Tag.SEQUENCE, varbinds)
        )
        return _envelope(message.version, bytes(message.community), _tlv(PduType.TRAP_V1, body))
    for number in (pdu.request_id, pdu.error_status, pdu.error_index):
        if not _I32_MIN <= number <= _I32_MAX:
            raise BerError(f"PDU header integer out of range: {number}")
    return encode_response(
        message.version,
        bytes(message.community),
        pdu.request_id,
        pdu.error_status,
        pdu.error_index,
        varbinds,
        pdu.type,
    )


# --------------------------------------------------------------------------- decoding


def _header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Read one tag+length at ``pos``; return (tag, body start, body end)."""
    if pos + 2 > end:
        raise BerError(f"truncated header at offset {pos}")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0:
            raise BerError(f"indefinite length at offset {pos - 1} (not allowed in SNMP)")
        if count > 4:
            raise BerError(f"length of length {count} too large at offset {pos - 1}")
        if pos + count > end:
            raise BerError(f"truncated length at offset {pos}")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    stop = pos + length
    if stop > end:
        raise BerError(f"length {length} at offset {pos} overruns its container")
    return tag, pos, stop


def _expect(data: bytes, pos: int, end: int, want: int, what: str) -> tuple[int, int]:
    tag, start, stop = _header(data, pos, end)
    if tag != want:
        raise BerError(f"expected {what} (tag 0x{want:02x}) at offset {pos}, got 0x{tag:02x}")
    return start, stop


def _int(data: bytes, start: int, stop: int) -> int:
    if start == stop:
        raise BerError(f"empty integer at offset {start}")
    if stop - start > 9:
        raise BerError(f"integer of {stop - start} octets too large at offset {start}")
    return int.from_bytes(data[start:stop], "big", signed=True)


def _get_int32(data: bytes, pos: int, end: int, what: str) -> tuple[int, int]:
    start, stop = _expect(data, pos, end, Tag.INTEGER, what)
    value = _int(data, start, stop)
    if not _I32_MIN <= value <= _I32_MAX:
        raise BerError(f"{what} out of Integer32 range: {value}")
    return value, stop


_OID_CACHE: dict[bytes, Oid] = {}


def _decode_oid(data: bytes, start: int, stop: int) -> Oid:
    raw = data[start:stop]
    cached = _OID_CACHE.get(raw)
    if cached is not None:
        return cached
    value = _decode_oid_uncached(data, start, stop)
    if len(_OID_CACHE) >= _OID_CACHE_MAX:
        _OID_CACHE.clear()
    _OID_CACHE[raw] = value
    return value


def _decode_oid_uncached(data: bytes, start: int, stop: int) -> Oid:
    if start == stop:
        raise BerError(f"empty OID at offset {start}")
    if stop - start > MAX_OID_LENGTH * 5:
        raise BerError(f"OID too long at offset {start}")
    arcs: list[int] = []
    sub = 0
    fresh = True
    for i in range(start, stop):
        byte = data[i]
        if fresh and byte == 0x80:
            raise BerError(f"non-minimal OID sub-identifier at offset {i}")
        sub = (sub << 7) | (byte & 0x7F)
        if byte & 0x80:
            fresh = False
            continue
        arcs.append(sub)
        sub = 0
        fresh = True
    if not fresh:
        raise BerError(f"OID ends inside a sub-identifier at offset {stop}")
    first = arcs[0]
    head = (first // 40, first % 40) if first < 80 else (2, first - 80)
    if len(arcs) >= MAX_OID_LENGTH or head[1] > _U32 or max(arcs[1:], default=0) > _U32:
        raise BerError(f"OID too long or sub-identifier beyond 32 bits at offset {start}")
    return head + tuple(arcs[1:])


_SIMPLE_UNSIGNED = {
    Tag.COUNTER32: _U32,
    Tag.GAUGE32: _U32,
    Tag.TIMETICKS: _U32,
    Tag.COUNTER64: _U64,
}
_BYTES_TAGS = (Tag.OCTET_STRING, Tag.OPAQUE)
_EMPTY = {
    Tag.NULL: NULL,
    Tag.NO_SUCH_OBJECT: NO_SUCH_OBJECT,
    Tag.NO_SUCH_INSTANCE: NO_SUCH_INSTANCE,
    Tag.END_OF_MIB_VIEW: END_OF_MIB_VIEW,
}
_TAGS = {int(t): t for t in Tag}


def _decode_value(data: bytes, pos: int, end: int) -> Value:
    tag, start, stop = _header(data, pos, end)
    if stop != end:
        raise BerError(f"varbind has {end - stop} trailing octets at offset {stop}")
    if tag == Tag.INTEGER:
        value = _int(data, start, stop)
        if not _I32_MIN <= value <= _I32_MAX:
            raise BerError(f"INTEGER out of Integer32 range: {value}")
        return Value(Tag.INTEGER, value)
    if tag in _BYTES_TAGS:
        return Value(_TAGS[tag], data[start:stop])
    if tag in _SIMPLE_UNSIGNED:
        value = _int(data, start, stop)
        if value < 0 or value > _SIMPLE_UNSIGNED[tag]:  # type: ignore[index]
            raise BerError(f"{_TAGS[tag].name} out of range: {value}")
        return Value(_TAGS[tag], value)
    if tag == Tag.OBJECT_IDENTIFIER:
        return Value(Tag.OBJECT_IDENTIFIER, _decode_oid(data, start, stop))
    if tag == Tag.IP_ADDRESS:
        if stop - start != 4:
            raise BerError(f"IpAddress of {stop - start} octets at offset {start}")
        return Value(Tag.IP_ADDRESS, data[start:stop])
    if tag in _EMPTY:
        if stop != start:
            raise BerError(f"{_TAGS[tag].name} with content at offset {start}")
        return _EMPTY[tag]  # type: ignore[index]
    raise BerError(f"unsupported value tag 0x{tag:02x} at offset {pos}")


def _decode_varbinds(data: bytes, pos: int, end: int) -> list[VarBind]:
    start, stop = _expect(data, pos, end, Tag.SEQUENCE, "varbind list")
    if stop != end:
        raise BerError(f"{end - stop} trailing octets after the varbind list")
    out: list[VarBind] = []
    pos = start
    while pos < stop:
        vb_start, vb_stop = _expect(data, pos, stop, Tag.SEQUENCE, "varbind")
        o_start, o_stop = _expect(data, vb_start, vb_stop, Tag.OBJECT_IDENTIFIER, "name")
        out.append((_decode_oid(data, o_start, o_stop), _decode_value(data, o_stop, vb_stop)))
        pos = vb_stop
    return out


_PDU_TYPES = {int(t): t for t in PduType}


def decode_message(data: bytes) -> Message:
    """Decode one SNMP v1/v2c datagram. Raises `BerError` and nothing else on bad input."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BerError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    end = len(data)
    start, stop = _expect(data, 0, end, Tag.SEQUENCE, "message")
    if stop != end:
        raise BerError(f"{end - stop} trailing octets after the message")
    version, pos = _get_int32(data, start, stop, "version")
    if version not in (0, 1):
        raise BerError(f"unsupported SNMP version {version} (only v1=0 and v2c=1)")
    c_start, pos = _expect(data, pos, stop, Tag.OCTET_STRING, "community")
    community = data[c_start:pos]
    tag, p_start, p_stop = _header(data, pos, stop)
    if p_stop != stop:
        raise BerError(f"{stop - p_stop} trailing octets after the PDU")
    pdu_type = _PDU_TYPES.get(tag)
    if pdu_type is None:
        raise BerError(f"unknown PDU type 0x{tag:02x}")
    if pdu_type is PduType.TRAP_V1:
        e_start, pos = _expect(data, p_start, p_stop, Tag.OBJECT_IDENTIFIER, "enterprise")
        enterprise = _decode_oid(data, e_start, pos)
        a_start, pos = _expect(data, pos, p_stop, Tag.IP_ADDRESS, "agent-addr")
        if pos - a_start != 4:
            raise BerError("agent-addr must be 4 octets")
        agent_addr = data[a_start:pos]
        generic, pos = _get_int32(data, pos, p_stop, "generic-trap")
        specific, pos = _get_int32(data, pos, p_stop, "specific-trap")
        t_start, pos = _expect(data, pos, p_stop, Tag.TIMETICKS, "time-stamp")
        stamp = _int(data, t_start, pos)
        if not 0 <= stamp <= _U32:
            raise BerError(f"time-stamp out of range: {stamp}")
        varbinds = _decode_varbinds(data, pos, p_stop)
        trap = TrapV1Pdu(enterprise, agent_addr, generic, specific, stamp, varbinds)
        return Message(version, community, trap)
    request_id, pos = _get_int32(data, p_start, p_stop, "request-id")
    error_status, pos = _get_int32(data, pos, p_stop, "error-status")
    error_index, pos = _get_int32(data, pos, p_stop, "error-index")
    varbinds = _decode_varbinds(data, pos, p_stop)
    return Message(
        version, community, Pdu(pdu_type, request_id, error_status, error_index, varbinds)
    )
