"""What happens to a batch of received datagrams, in the receiver's worker threads.

    prepare (decode, match source, ack informs)  →  store (ONE bulk INSERT)
        →  re-poll hint for each accepted UPS  →  AFTER_TRAPS steps with the events

`prepare` runs in the decoder thread, `store` and `hint` in the DB thread (so the next
batch is decoded while this one is written), `dispatch` in the steps thread. `prepare`
never fails on input; `store` may fail (database down) and is retried by the receiver
with the same prepared rows, so a datagram is decoded once and stored once.
The steps in `settings.UNMS["AFTER_TRAPS"]` are the one visible place where other apps
(the alarm lifecycle, live push) join; `monitoring` never imports them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from monitoring.scheduler import request_poll_now
from monitoring.snmp.ber import BerError
from monitoring.traps.decode import decode_trap
from monitoring.traps.directory import SourceDirectory, canonical_address
from monitoring.traps.events import TrapEvent, TrapKind
from monitoring.traps.kinds import classify
from monitoring.traps.stats import RateLimitedLog, TrapCounters
from monitoring.traps.writers import TrapRow, writer_for

log = logging.getLogger("monitoring.traps")

RAW_HEX_BYTES = 512
ERROR_CHARS = 300


@dataclass(frozen=True, slots=True)
class Received:
    data: bytes
    address: str  # canonical (see directory.canonical_address)
    port: int
    at: float  # wall clock (time.time()) when the datagram left the socket


@dataclass(slots=True)
class Prepared:
    rows: list[TrapRow]
    # Parallel to rows: True where the row becomes a TrapEvent once stored.
    accepted: list[bool]
    acks: list[tuple[bytes, tuple[str, int]]] = field(default_factory=list)


class TrapPipeline:
    """Holds what must survive between batches: the source map, counters, re-poll throttle."""

    def __init__(
        self,
        counters: TrapCounters,
        directory: SourceDirectory | None = None,
        *,
        repoll_min_interval_s: float = 1.0,
        warn_every_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.counters = counters
        self.directory = directory or SourceDirectory()
        self.warn = RateLimitedLog(log, warn_every_s, clock)
        self.repoll = RepollThrottle(repoll_min_interval_s, clock)

    # ------------------------------------------------------------------ prepare
    def prepare(self, batch: Sequence[Received]) -> Prepared:
        prepared = Prepared([], [])
        for item in batch:
            if ":" in item.address:  # IPv6 socket: ::ffff:192.0.2.1 is 192.0.2.1
                item = Received(item.data, canonical_address(item.address), item.port, item.at)
            received_at = datetime.fromtimestamp(item.at, UTC)
            try:
                trap = decode_trap(item.data)
            except (BerError, ValueError, KeyError, IndexError) as exc:
                self._malformed(prepared, item, received_at, exc)
                continue
            self.counters.decoded += 1
            match = self.directory.match(item.address, item.port, trap.community)
            kind, alarm = classify(trap.trap_oid, trap.varbinds)
            accepted = match.community_ok and match.source is not None and match.source.enabled
            self._count_and_warn(item, match.source is not None, match.community_ok)
            if trap.ack is not None:
                # Acknowledge every well-formed inform, whatever its community: answering
                # only the right one would let anyone probe for the trap community.
                prepared.acks.append((trap.ack, (item.address, item.port)))
                self.counters.informs += 1
            prepared.rows.append(
                TrapRow(
                    received_at=received_at,
                    source_address=item.address,
                    source_port=item.port,
                    ups_id=match.source.ups_id if match.source else None,
                    version=trap.version,
                    community_ok=match.community_ok,
                    inform=trap.inform,
                    trap_oid=trap.trap_oid[:300],
                    kind=kind.value,
                    alarm=alarm or "",
                    varbinds=trap.varbinds,
                    error="",
                    raw_hex="",
                )
            )
            prepared.accepted.append(accepted)
        return prepared

    def _malformed(
        self, prepared: Prepared, item: Received, received_at: datetime, exc: Exception
    ) -> None:
        self.counters.malformed += 1
        error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        self.warn.warning(
            f"malformed:{item.address}",
            "trap receiver: undecodable datagram of %d bytes from %s: %s",
            len(item.data),
            item.address,
            error,
        )
        # The source may still be a known UPS (a card sending garbage is worth seeing).
        match = self.directory.match(item.address, item.port, None)
        prepared.rows.append(
            TrapRow(
                received_at=received_at,
                source_address=item.address,
                source_port=item.port,
                ups_id=match.source.ups_id if match.source else None,
                version="",
                community_ok=False,
                inform=False,
                trap_oid="",
                kind=TrapKind.OTHER.value,
                alarm="",
                varbinds={},
                error=error,
                raw_hex=item.data[:RAW_HEX_BYTES].hex(),
            )
        )
        prepared.accepted.append(False)

    def _count_and_warn(self, item: Received, known: bool, community_ok: bool) -> None:
        if not known:
            self.counters.unknown_source += 1
            self.warn.warning(
                f"unknown:{item.address}",
                "trap receiver: trap from %s: no UPS has this address "
                "(add the UPS or fix the card's trap destination)",
                item.address,
            )
        elif not community_ok:
            # Never log the community itself: a wrong one may be a typo of the real one.
            self.counters.bad_community += 1
            self.warn.warning(
                f"community:{item.address}",
                "trap receiver: trap from %s with the wrong community "
                "(check the UPS's trap community against the card)",
                item.address,
            )
        else:
            self.counters.accepted += 1

    # ------------------------------------------------------------------ store
    def store(self, prepared: Prepared) -> list[TrapEvent]:
        """ONE INSERT for the whole batch; raises on database errors (the caller retries)."""
        if not prepared.rows:
            return []
        ids = writer_for(connection.vendor)(prepared.rows)
        self.counters.stored += len(prepared.rows)
        return [
            TrapEvent(
                trap_id=trap_id,
                ups_id=row.ups_id,
                received_at=row.received_at,
                kind=TrapKind(row.kind),
                alarm=row.alarm or None,
                trap_oid=row.trap_oid,
                varbinds=row.varbinds,
            )
            for trap_id, row, accepted in zip(ids, prepared.rows, prepared.accepted, strict=True)
            if accepted and row.ups_id is not None
        ]

    # ------------------------------------------------------------------ dispatch
    def hint(self, events: list[TrapEvent]) -> None:
        """Ask for a re-poll of every UPS that sent an accepted trap (the poll is the truth)."""
        self.repoll.want(event.ups_id for event in events)
        self.flush_repolls()

    def dispatch(self, events: list[TrapEvent]) -> None:
        """The AFTER_TRAPS steps (run in their own thread, after `hint`)."""
        if events:
            self.counters.events += len(events)
            run_after_traps(events, self.counters)

    def flush_repolls(self) -> None:
        due = self.repoll.due()
        if not due:
            return
        now = timezone.now()
        for ups_id in due:
            try:
                request_poll_now(ups_id, now)
            except Exception:
                # Best effort: the scheduled poll comes anyway; ask again next time.
                log.warning("trap receiver: re-poll request for UPS %s failed", ups_id)
                self.repoll.want([ups_id], retry=True)
                return
            self.counters.repolls += 1


class RepollThrottle:
    """At most one re-poll request per UPS per `min_interval_s`, and none forgotten.

    A flood from one card (or the on-battery trap repeated every minute) asks for a poll
    once per interval; a trap inside the interval is remembered and asked for when the
    interval ends, so the latest trap is always followed by a poll.
    """

    def __init__(self, min_interval_s: float, clock: Callable[[], float]) -> None:
        self.min_interval_s = min_interval_s
        self.clock = clock
        self._last: dict[int, float] = {}
        self._wanted: set[int] = set()

    def want(self, ups_ids: Iterable[int], *, retry: bool = False) -> None:
        for ups_id in ups_ids:
            self._wanted.add(ups_id)
            if retry:
                self._last.pop(ups_id, None)

    def due(self) -> list[int]:
        now = self.clock()
        ready = [
            u for u in self._wanted if now - self._last.get(u, float("-inf")) >= self.min_interval_s
        ]
        for ups_id in ready:
            self._wanted.discard(ups_id)
            self._last[ups_id] = now
        if len(self._last) > 100_000:  # forget old entries; bounded memory
            self._last = {u: t for u, t in self._last.items() if now - t < self.min_interval_s}
        return sorted(ready)


@lru_cache(maxsize=8)
def _steps(paths: tuple[str, ...]) -> tuple[tuple[str, Callable[[list[TrapEvent]], object]], ...]:
    steps = []
    for path in paths:
        try:
            steps.append((path, import_string(path)))
        except ImportError:
            log.exception("trap receiver: AFTER_TRAPS step %s cannot be imported; skipped", path)
    return tuple(steps)


def run_after_traps(events: list[TrapEvent], counters: TrapCounters | None = None) -> None:
    # Looked up per batch (cached per list) so a settings override in tests takes effect.
    for path, step in _steps(tuple(settings.UNMS.get("AFTER_TRAPS", ()))):
        try:
            step(events)
        except Exception:
            # A broken step must not stop the others or the receiver: the traps are stored.
            if counters is not None:
                counters.step_errors += 1
            log.exception(
                "trap receiver: AFTER_TRAPS step %s failed on %d events", path, len(events)
            )
