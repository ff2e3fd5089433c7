"""One simulated UPS on the wire: an asyncio UDP endpoint answering SNMP v1/v2c.

Answers come from the pre-encoded `MibTable` (refreshed by the runtime about once a
second), so a request costs a decode of the small request, a dict lookup or bisect per
varbind and a bytes join. Wrong community → silence (counted), like real cards.
"""

from __future__ import annotations

import asyncio
import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from monitoring.snmp.ber import (
    END_OF_MIB_VIEW,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    BerError,
    ErrorStatus,
    Message,
    Oid,
    Pdu,
    PduType,
    Tag,
    VarBind,
    decode_message,
    encode_response,
    encode_varbind,
)
from simulator import vendors
from simulator.fleet import UpsSpec, parse_endpoint
from simulator.mib import TEST_BASE, TEST_ID, TEST_SPINLOCK, MibTable, system_values, ups_values
from simulator.model import TEST_IN_PROGRESS, Event, UpsModel
from simulator.traps import NO_ADDED_TRAP, encode_trap, trap_varbinds

MAX_VARBIND_BYTES = 1360  # keeps a GETBULK response under ~1400 bytes on the wire
MAX_REPETITIONS = 200  # bounds work for absurd max-repetitions values


@dataclass(slots=True)
class AgentStats:
    received: int = 0
    answered: int = 0
    bad_community: int = 0
    malformed: int = 0
    unsupported: int = 0
    silent: int = 0  # dropped because of the comm_loss scenario
    traps_sent: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "received": self.received,
            "answered": self.answered,
            "bad_community": self.bad_community,
            "malformed": self.malformed,
            "unsupported": self.unsupported,
            "silent": self.silent,
            "traps_sent": self.traps_sent,
            "by_type": dict(self.by_type),
        }


class SimulatedUps(asyncio.DatagramProtocol):
    """Model + MIB table + UDP endpoint of one UPS."""

    def __init__(self, spec: UpsSpec, clock: Callable[[], int]) -> None:
        self.spec = spec
        self.clock = clock  # sysUpTime in TimeTicks (1/100 s) of the simulator
        self.model = UpsModel.create(spec.name, spec.model, spec.scenario)
        self.quirks: set[str] = set(spec.quirks)
        self.table = MibTable()
        self.stats = AgentStats()
        self.transport: asyncio.DatagramTransport | None = None
        self.bound: tuple[str, int] = (spec.address, spec.port)
        self.community = spec.community.encode()
        self.write_community = spec.write_community.encode()
        self.sys_object_id = tuple(int(p) for p in spec.sys_object_id.strip(".").split("."))
        self.rng = random.Random(self.model.seed)
        self.last_on_battery_trap = float("-inf")
        self.stale = True
        self.refresh()

    # ------------------------------------------------------------------ state
    def refresh(self) -> None:
        """Recompute every value from the model (only changed values re-encode)."""
        values = system_values(self.model, self.sys_object_id, self.clock(), self.spec.name)
        # Vendor cards (simulator/vendors.py): a recording replaces the UPS-MIB tree.
        seconds = self.clock() / 100
        card = vendors.card_values(self.spec.extra, seconds)
        values.update(ups_values(self.model, self.quirks) if card is None else card)
        values.update(vendors.extra_values(self.spec.extra, seconds))
        self.table.refresh(values)
        self.stale = False

    def mark_stale(self) -> None:
        """The model moved on; rebuild the table when someone next asks.

        Lazy on purpose: 1 000 UPSs polled every 30 s need ~33 rebuilds a second, not 1 000.
        """
        self.stale = True

    def set_quirks(self, quirks: set[str]) -> None:
        self.quirks = set(quirks)
        self.refresh()

    def send_events(self, events: list[Event]) -> None:
        """Turn model events into traps (RFC 1628 rules on which alarms get one)."""
        for event in events:
            if event.kind == "alarm_added" and event.alarm and event.alarm.descr in NO_ADDED_TRAP:
                continue
            self.send_trap(event.kind, event.alarm)

    def send_trap(self, kind: str, alarm: object = None) -> bool:
        """Send one trap from this UPS's own socket; False when no target/transport."""
        if self.spec.trap_target is None or self.transport is None:
            return False
        target = parse_endpoint(self.spec.trap_target, 162)  # validated loopback-only
        varbinds = trap_varbinds(kind, self.model, alarm)  # type: ignore[arg-type]
        data = encode_trap(
            self.spec, kind, varbinds, self.clock(), self.bound[0], self.rng.getrandbits(31)
        )
        if kind == "on_battery":
            self.last_on_battery_trap = asyncio.get_running_loop().time()
        self.transport.sendto(data, target)
        self.stats.traps_sent += 1
        return True

    # ------------------------------------------------------------------ protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def error_received(self, exc: Exception) -> None:  # e.g. ICMP port unreachable on a trap
        pass

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.stats.received += 1
        if not self.model.answers:
            self.stats.silent += 1
            return
        try:
            message = decode_message(data)
        except BerError:
            self.stats.malformed += 1
            return
        if self.stale:
            self.refresh()
        reply = self.answer(message)
        if reply is None or self.transport is None:
            return
        if "garbage" in self.quirks:
            reply = self.rng.randbytes(self.rng.randint(8, 120))
        elif "truncated" in self.quirks:
            reply = reply[: max(1, len(reply) // 2)]
        self.transport.sendto(reply, addr)
        self.stats.answered += 1

    def answer(self, message: Message) -> bytes | None:
        """The encoded response for one request, or None to stay silent."""
        pdu = message.pdu
        if not isinstance(pdu, Pdu):
            self.stats.unsupported += 1
            return None
        kind = pdu.type.name
        self.stats.by_type[kind] = self.stats.by_type.get(kind, 0) + 1
        if pdu.type is PduType.SET_REQUEST:
            if message.community == self.write_community:
                return self._set(message, pdu)
            if message.community == self.community:  # read-only community cannot write
                status = ErrorStatus.NO_SUCH_NAME if message.version == 0 else 6  # noAccess
                return self._error(message, pdu, status, 1)
        if message.community != self.community:
            self.stats.bad_community += 1
            return None
        if pdu.type is PduType.GET_REQUEST:
            return self._get(message, pdu)
        if pdu.type is PduType.GET_NEXT_REQUEST:
            return self._get_next(message, pdu)
        if pdu.type is PduType.GET_BULK_REQUEST and message.version == 1:
            return self._get_bulk(message, pdu)
        self.stats.unsupported += 1
        return None

    # ------------------------------------------------------------------ operations
    def _reply(self, message: Message, pdu: Pdu, parts: list[bytes]) -> bytes:
        return encode_response(
            message.version, message.community, pdu.request_id, 0, 0, b"".join(parts)
        )

    def _error(self, message: Message, pdu: Pdu, status: int, index: int) -> bytes:
        echo = b"".join(encode_varbind(n, v) for n, v in pdu.varbinds)
        return encode_response(
            message.version, message.community, pdu.request_id, status, index, echo
        )

    def _missing(self, name: Oid) -> bytes:
        value = NO_SUCH_INSTANCE if self.table.is_known_object(name) else NO_SUCH_OBJECT
        return encode_varbind(name, value)

    def _get(self, message: Message, pdu: Pdu) -> bytes:
        index = self.table.index
        encoded = self.table.encoded
        answered = len(pdu.varbinds)
        if "half" in self.quirks:
            answered = (answered + 1) // 2
        parts = []
        for position, (name, _) in enumerate(pdu.varbinds):
            i = index.get(name) if position < answered else None
            if i is not None:
                parts.append(encoded[i])
            elif message.version == 0:  # v1 has no exceptions: the whole GET fails
                return self._error(message, pdu, ErrorStatus.NO_SUCH_NAME, position + 1)
            elif position < answered:
                parts.append(self._missing(name))
            else:  # the `half` quirk: the card "forgets" the rest
                parts.append(encode_varbind(name, NO_SUCH_OBJECT))
        return self._reply(message, pdu, parts)

    def _get_next(self, message: Message, pdu: Pdu) -> bytes:
        oids = self.table.oids
        encoded = self.table.encoded
        parts = []
        for position, (name, _) in enumerate(pdu.varbinds):
            i = bisect_right(oids, name)
            if i < len(oids):
                parts.append(encoded[i])
            elif message.version == 0:
                return self._error(message, pdu, ErrorStatus.NO_SUCH_NAME, position + 1)
            else:
                parts.append(encode_varbind(name, END_OF_MIB_VIEW))
        return self._reply(message, pdu, parts)

    def _get_bulk(self, message: Message, pdu: Pdu) -> bytes:
        oids = self.table.oids
        encoded = self.table.encoded
        end = len(oids)
        names = [name for name, _ in pdu.varbinds]
        non_repeaters = min(max(pdu.non_repeaters, 0), len(names))
        repetitions = min(max(pdu.max_repetitions, 0), MAX_REPETITIONS)
        parts: list[bytes] = []
        size = 0
        for name in names[:non_repeaters]:
            i = bisect_right(oids, name)
            part = encoded[i] if i < end else encode_varbind(name, END_OF_MIB_VIEW)
            parts.append(part)
            size += len(part)
        columns = names[non_repeaters:]
        positions = [bisect_right(oids, name) for name in columns]
        past_end = [i >= end for i in positions]  # asked beyond the last OID: echo the name
        for _ in range(repetitions if columns else 0):
            progressed = False
            for j, i in enumerate(positions):
                if i < end:
                    part = encoded[i]
                    positions[j] = i + 1
                    progressed = True
                else:
                    last = columns[j] if past_end[j] else oids[-1]
                    part = encode_varbind(last, END_OF_MIB_VIEW)
                if size + len(part) > MAX_VARBIND_BYTES and parts:
                    return self._reply(message, pdu, parts)  # full: the manager asks again
                parts.append(part)
                size += len(part)
            if not progressed:
                break
        return self._reply(message, pdu, parts)

    def _set(self, message: Message, pdu: Pdu) -> bytes:
        """Only upsTestId together with the current upsTestSpinLock is writable (RFC 1628)."""
        v1 = message.version == 0
        test_names = {TEST_ID, TEST_ID[:-1]}  # accept the no_dot_zero spelling too
        lock_names = {TEST_SPINLOCK, TEST_SPINLOCK[:-1]}
        test: tuple[int, VarBind] | None = None
        lock: tuple[int, VarBind] | None = None
        for position, varbind in enumerate(pdu.varbinds, start=1):
            if varbind[0] in test_names:
                test = (position, varbind)
            elif varbind[0] in lock_names:
                lock = (position, varbind)
            else:
                status = ErrorStatus.NO_SUCH_NAME if v1 else ErrorStatus.NOT_WRITABLE
                return self._error(message, pdu, status, position)
        bad_value = ErrorStatus.BAD_VALUE if v1 else ErrorStatus.INCONSISTENT_VALUE
        if test is None:  # a spinlock alone changes nothing: inconsistent
            return self._error(message, pdu, bad_value, lock[0] if lock else 1)
        test_value = test[1][1]
        if (
            test_value.tag != Tag.OBJECT_IDENTIFIER
            or len(test_value.value) != len(TEST_BASE) + 1  # type: ignore[arg-type]
            or test_value.value[: len(TEST_BASE)] != TEST_BASE  # type: ignore[index]
        ):
            status = ErrorStatus.BAD_VALUE if v1 else ErrorStatus.WRONG_VALUE
            return self._error(message, pdu, status, test[0])
        model = self.model
        if lock is None or lock[1][1] != (Tag.INTEGER, model.test_spinlock):
            return self._error(message, pdu, bad_value, lock[0] if lock else test[0])
        if model.test_summary == TEST_IN_PROGRESS:
            return self._error(message, pdu, bad_value, test[0])
        model.test_spinlock = (model.test_spinlock + 1) & 0x7FFFFFFF
        events = model.start_test(test_value.value[-1], self.clock())  # type: ignore[index]
        self.refresh()
        self.send_events(events)
        echo = [encode_varbind(n, v) for n, v in pdu.varbinds]
        return self._reply(message, pdu, echo)
