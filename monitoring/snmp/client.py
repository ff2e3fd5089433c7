"""The only module that talks to pysnmp (ruff's banned-api rule enforces it).

Everything above this seam sees plain Python: OIDs are `tuple[int, ...]`, values are
converted by `_plain` (int / bytes / str / OID tuple / `SnmpException` / None, see
decode.py), failures are `SnmpError` subclasses whose messages never contain the
community string.

Performance rules (snmp-performance.md):
- one `SnmpEngine` and one UDP socket for every request of this client;
- that socket gets an 8 MiB receive buffer: with the default ~208 KiB and 200 requests
  in flight, 37-74 % of a reply burst was dropped silently (seen as timeouts);
- no MIB resolution anywhere: we call pysnmp's RFC 3413 command generators directly with
  pre-built (ObjectName, Null) varbinds, which skips hlapi's per-call `ObjectType`
  resolution (the costly part of the documented style);
- retries live in ONE layer, pysnmp's own per-target timeout/retries. The asyncio guard in
  `_send` is only a safety net in case pysnmp never calls back.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pyasn1.type import univ
from pysnmp.carrier.asyncio.dgram import udp
from pysnmp.entity import config
from pysnmp.entity.engine import SnmpEngine
from pysnmp.entity.rfc3413 import cmdgen
from pysnmp.hlapi.v3arch.asyncio import CommunityData, UdpTransportTarget
from pysnmp.hlapi.v3arch.asyncio.lcd import CommandGeneratorLcdConfigurator
from pysnmp.proto import errind, rfc1902, rfc1905

from monitoring.mib import Oid, dotted
from monitoring.snmp.decode import (
    END_OF_MIB_VIEW,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    SnmpException,
    Value,
    VarBind,
)

log = logging.getLogger(__name__)

RCVBUF_BYTES: Final = 8 * 1024 * 1024
DEFAULT_MAX_REPETITIONS: Final = 50
# A safety cap, not the normal path: v2c walks a 3-phase UPS in 2 round trips; v1 needs
# about one per object in the longest group (~16 for 3-phase). Looping agents are
# caught earlier by the non-increasing-OID check.
DEFAULT_MAX_ROUND_TRIPS: Final = 32

# RFC 3416 error-status values we act on.
_TOO_BIG: Final = 1
_NO_SUCH_NAME: Final = 2  # v1 only: "this varbind has no (next) object"
_ERROR_NAMES: Final = {
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    16: "authorizationError",
}


@dataclass(frozen=True, slots=True)
class Target:
    """One agent to talk to. Hashable: the client caches pysnmp's target config by it."""

    host: str
    port: int = 161
    # repr=False: a Target may end up in a log line or a traceback; the community must not.
    community: str = field(default="public", repr=False)
    version: Literal["1", "2c"] = "2c"
    timeout_s: float = 1.0
    retries: int = 2

    def __post_init__(self) -> None:
        if self.version not in ("1", "2c"):
            raise ValueError(f"unsupported SNMP version {self.version!r} (use '1' or '2c')")
        if self.timeout_s <= 0 or self.retries < 0:
            raise ValueError("timeout_s must be > 0 and retries >= 0")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def tries(self) -> int:
        return self.retries + 1


class SnmpError(Exception):
    """Any failure to get an answer. Messages name the address, never the community."""


class SnmpTimeout(SnmpError):
    """No response after all tries. Also what a wrong community looks like: agents stay
    silent, and garbage or truncated replies are dropped by pysnmp, so they end here too."""

    def __init__(self, target: Target) -> None:
        super().__init__(f"no response from {target.address} after {target.tries} tries")
        self.address = target.address


class SnmpResponseError(SnmpError):
    """The agent answered with an error-status (genErr, tooBig, ...)."""

    def __init__(self, target: Target, status: int, index: int) -> None:
        name = _ERROR_NAMES.get(status, str(status))
        super().__init__(f"{target.address} answered {name} (error-index {index})")
        self.status = status
        self.index = index


@dataclass(slots=True)
class WalkResult:
    """Varbinds in arrival order, plus why the walk stopped early if it did."""

    varbinds: list[VarBind]
    round_trips: int = 0
    notes: list[str] = field(default_factory=list)


def _plain(value: Any) -> Value:
    """pysnmp value → plain Python value (the representation decode.py documents)."""
    if isinstance(value, rfc1905.NoSuchObject):
        return NO_SUCH_OBJECT
    if isinstance(value, rfc1905.NoSuchInstance):
        return NO_SUCH_INSTANCE
    if isinstance(value, rfc1905.EndOfMibView):
        return END_OF_MIB_VIEW
    try:
        if isinstance(value, univ.Integer):  # Integer32, Counter*, Gauge32, TimeTicks
            return int(value)
        if isinstance(value, rfc1902.IpAddress):  # before OctetString: it is one
            return ".".join(str(b) for b in value.asOctets())
        if isinstance(value, univ.OctetString):  # incl. Opaque, Bits
            return value.asOctets()
        if isinstance(value, univ.ObjectIdentifier):
            return tuple(value)
    except Exception:  # a value object without a value: treat as absent
        return None
    return None  # Null and anything exotic


class _BigBufferUdpTransport(udp.UdpAsyncioTransport):
    """pysnmp's asyncio UDP transport, with a large SO_RCVBUF set once the socket exists.

    pysnmp creates the socket asynchronously (create_datagram_endpoint) and keeps the
    asyncio transport in `self.transport`; `connection_made` is the first moment the
    socket is reachable, and it runs before any request can be sent.
    """

    rcvbuf_wanted: int = RCVBUF_BYTES
    rcvbuf_effective: int | None = None

    def connection_made(self, transport: asyncio.DatagramTransport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self.rcvbuf_effective = set_rcvbuf(sock, self.rcvbuf_wanted)
        super().connection_made(transport)


def set_rcvbuf(sock: Any, size: int) -> int:
    """Ask for `size` bytes of receive buffer; returns what the kernel granted.

    SO_RCVBUF is capped by net.core.rmem_max (often 4 MiB or less); SO_RCVBUFFORCE
    bypasses the cap but needs CAP_NET_ADMIN, so try it first and fall back.
    """
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    try:
        if force is None:
            raise PermissionError
        sock.setsockopt(socket.SOL_SOCKET, force, size)
    except OSError:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        except OSError as exc:
            log.warning("could not set SO_RCVBUF=%d: %s", size, exc)
    granted = int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
    # Linux reports twice the requested value (bookkeeping overhead included).
    if granted < size:
        log.warning(
            "UDP receive buffer is %d bytes, wanted %d: raise net.core.rmem_max or keep "
            "fewer requests in flight (replies will be dropped under load)",
            granted,
            size,
        )
    return granted


_NULL: Final = univ.Null("")
_LCD: Final = CommandGeneratorLcdConfigurator()


class SnmpClient:
    """Async SNMP v1/v2c reads over one engine and one socket.

    Create and use it inside one running event loop (pysnmp binds to the loop it was
    started on); `close()` when done, or use `async with SnmpClient() as client`.
    """

    def __init__(
        self,
        *,
        max_repetitions: int = DEFAULT_MAX_REPETITIONS,
        max_round_trips: int = DEFAULT_MAX_ROUND_TRIPS,
        rcvbuf_bytes: int = RCVBUF_BYTES,
    ) -> None:
        if max_repetitions < 1 or max_round_trips < 1:
            raise ValueError("max_repetitions and max_round_trips must be >= 1")
        self.max_repetitions = max_repetitions
        self.max_round_trips = max_round_trips
        self.rcvbuf_bytes = rcvbuf_bytes
        self._engine: SnmpEngine | None = None
        self._transport: _BigBufferUdpTransport | None = None
        self._targets: dict[Target, str] = {}  # Target → pysnmp target (addr) name
        self._names: dict[Oid, Any] = {}  # OID → pre-built (ObjectName, Null) varbind
        self._get = cmdgen.GetCommandGenerator()
        self._next = cmdgen.NextCommandGeneratorSingleRun()
        self._bulk = cmdgen.BulkCommandGeneratorSingleRun()

    async def __aenter__(self) -> SnmpClient:
        self._start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def rcvbuf_effective(self) -> int | None:
        """The receive buffer the kernel granted (None until the socket is open)."""
        return None if self._transport is None else self._transport.rcvbuf_effective

    def _start(self) -> SnmpEngine:
        if self._engine is None:
            engine = SnmpEngine()
            transport = _BigBufferUdpTransport()
            transport.rcvbuf_wanted = self.rcvbuf_bytes
            # Registered before any target: pysnmp's LCD then finds a transport for the
            # UDP domain and never opens its own (which would have the small buffer).
            config.add_transport(engine, udp.DOMAIN_NAME, transport.open_client_mode())
            self._engine, self._transport = engine, transport
        return self._engine

    async def close(self) -> None:
        engine, self._engine = self._engine, None
        self._targets.clear()
        if engine is not None:
            engine.close_dispatcher()
        self._transport = None

    async def _target_name(self, target: Target) -> str:
        name = self._targets.get(target)
        if name is None:
            engine = self._start()
            auth = CommunityData(target.community, mpModel=0 if target.version == "1" else 1)
            transport_target = await UdpTransportTarget.create(
                (target.host, target.port), timeout=target.timeout_s, retries=target.retries
            )
            name, _params = _LCD.configure(engine, auth, transport_target, b"")
            self._targets[target] = name
        return name

    def _varbinds(self, oids: Sequence[Oid]) -> list[Any]:
        out = []
        for oid in oids:
            vb = self._names.get(oid)
            if vb is None:
                vb = self._names[oid] = (rfc1902.ObjectName(oid), _NULL)
            out.append(vb)
        return out

    async def _send(
        self,
        target: Target,
        kind: Literal["get", "next", "bulk"],
        oids: Sequence[Oid],
        non_repeaters: int = 0,
        max_repetitions: int = 0,
    ) -> tuple[int, int, list[VarBind]]:
        """One request/response (pysnmp retries inside). → (error status, index, varbinds)."""
        name = await self._target_name(target)
        engine = self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[Any, int, int, Any]] = loop.create_future()

        def done(_engine: Any, _handle: Any, indication: Any, status: Any, index: Any,
                 varbinds: Any, _ctx: Any) -> None:  # fmt: skip
            if not future.done():  # the safety-net timeout may have given up already
                future.set_result((indication, int(status or 0), int(index or 0), varbinds))

        varbinds = self._varbinds(oids)
        try:
            if kind == "bulk":
                self._bulk.send_varbinds(
                    engine, name, None, b"", non_repeaters, max_repetitions, varbinds, done
                )
            elif kind == "next":
                self._next.send_varbinds(engine, name, None, b"", varbinds, done)
            else:
                self._get.send_varbinds(engine, name, None, b"", varbinds, done)
        except Exception as exc:  # carrier errors (unroutable address, closed loop, ...)
            raise SnmpError(f"cannot send to {target.address}: {type(exc).__name__}") from None
        guard = target.timeout_s * target.tries + 5.0
        try:
            indication, status, index, raw = await asyncio.wait_for(future, guard)
        except TimeoutError:
            raise SnmpTimeout(target) from None
        if indication:
            if isinstance(indication, errind.RequestTimedOut):
                raise SnmpTimeout(target)
            # ErrorIndication texts are fixed descriptions, they carry no community.
            raise SnmpError(f"{target.address}: {indication}")
        result = [(tuple(oid), _plain(value)) for oid, value in raw]
        return status, index, result

    async def get(self, target: Target, oids: Sequence[Oid]) -> list[VarBind]:
        """GET exact instances. Missing ones come back as NO_SUCH_OBJECT/INSTANCE.

        v1 agents fail the whole PDU with noSuchName for one missing object: that object
        is marked missing and the rest is asked again (bounded by len(oids) tries).
        """
        pending = list(dict.fromkeys(tuple(o) for o in oids))
        found: dict[Oid, Value] = {}
        while pending:
            status, index, varbinds = await self._send(target, "get", pending)
            if status == _NO_SUCH_NAME and target.version == "1" and 1 <= index <= len(pending):
                found[pending.pop(index - 1)] = NO_SUCH_OBJECT
                continue
            if status:
                raise SnmpResponseError(target, status, index)
            found.update(varbinds)
            break
        return [(oid, found.get(oid, NO_SUCH_OBJECT)) for oid in (tuple(o) for o in oids)]

    async def walk(
        self, target: Target, roots: Sequence[Oid], *, scalars: Sequence[Oid] = ()
    ) -> WalkResult:
        """Every object under each root, plus one GETNEXT of each `scalars` OID.

        v2c: GETBULK, `scalars` as non-repeaters in the first PDU, one repeater per root
        still open, continuing from the last OID seen per root. v1: GETNEXT with one
        varbind per open root in every PDU. A root is closed when the walk leaves its
        subtree, hits endOfMibView, or the agent stops making progress (a looping agent
        must not hang the poller); the whole walk stops after `max_round_trips`.
        """
        result = WalkResult(varbinds=[])
        # Per open root: (root, last OID returned under it).
        open_roots: list[tuple[Oid, Oid]] = [(tuple(r), tuple(r)) for r in roots]
        first_scalars = [tuple(s) for s in scalars]
        max_reps = self.max_repetitions
        while open_roots or first_scalars:
            if result.round_trips >= self.max_round_trips:
                result.notes.append(
                    f"walk stopped after {result.round_trips} round trips "
                    f"with {len(open_roots)} subtree(s) unfinished"
                )
                break
            request = first_scalars + [last for _root, last in open_roots]
            if target.version == "1":
                status, index, varbinds = await self._send(target, "next", request)
            else:
                reps = max(1, max_reps // max(1, len(open_roots)))
                status, index, varbinds = await self._send(
                    target, "bulk", request, len(first_scalars), reps
                )
            result.round_trips += 1
            if status == _NO_SUCH_NAME and target.version == "1" and 1 <= index <= len(request):
                # v1 end of a subtree/MIB: drop that varbind and ask again for the others.
                position = index - 1
                if position < len(first_scalars):
                    first_scalars.pop(position)
                else:
                    open_roots.pop(position - len(first_scalars))
                continue
            if status == _TOO_BIG and target.version != "1" and max_reps > 1:
                max_reps //= 2  # agent cannot fit the reply: ask for less
                continue
            if status:
                name = _ERROR_NAMES.get(status, str(status))
                result.notes.append(f"walk stopped: agent answered {name}")
                break
            count = len(first_scalars)
            result.varbinds.extend(
                vb for vb in varbinds[:count] if not isinstance(vb[1], SnmpException)
            )
            first_scalars = []
            open_roots = self._advance(open_roots, varbinds[count:], result)
        return result

    @staticmethod
    def _advance(
        open_roots: list[tuple[Oid, Oid]], varbinds: list[VarBind], result: WalkResult
    ) -> list[tuple[Oid, Oid]]:
        """Take the repeater varbinds of one response; return the roots still open.

        Varbinds are interleaved, one per open root per repetition (GETNEXT: exactly
        one repetition), so root r owns positions r, r+R, r+2R, ...
        """
        width = len(open_roots)
        still_open: list[tuple[Oid, Oid]] = []
        for position, (root, last) in enumerate(open_roots):
            progressed = closed = False
            for oid, value in varbinds[position::width] if width else ():
                if value is END_OF_MIB_VIEW or oid[: len(root)] != root:
                    closed = True
                    break
                if oid <= last:
                    result.notes.append(
                        f"agent returned non-increasing OID {dotted(oid)} after "
                        f"{dotted(last)}; stopped walking {dotted(root)}"
                    )
                    closed = True
                    break
                result.varbinds.append((oid, value))
                last, progressed = oid, True
            if closed:
                continue
            if progressed:
                still_open.append((root, last))
            else:
                # An empty answer for this root: asking again would loop forever.
                result.notes.append(f"agent returned nothing for {dotted(root)}; stopped")
        return still_open
