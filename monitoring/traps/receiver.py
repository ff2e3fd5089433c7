"""The asyncio UDP trap receiver: receive fast, decode and write in batches off the loop.

`datagram_received` only appends (bytes, address, time) to a bounded deque: a bare asyncio
receiver takes ~44 000 datagrams/s, decoding is the limit (snmp-performance.md). A
consumer task takes up to `batch_size` datagrams once the oldest has waited `batch_ms`
(or at once when the batch is full); a decoder thread decodes them and matches sources,
then a DB thread stores them with ONE bulk insert and asks for re-polls, while the
decoder already works on the next batch; a third thread runs the AFTER_TRAPS steps.
While the database is down the batch is retried with backoff and the deque keeps
filling: nothing received is lost while memory (queue_max) allows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

from monitoring.traps.directory import SourceDirectory
from monitoring.traps.events import TrapEvent
from monitoring.traps.pipeline import Prepared, Received, TrapPipeline
from monitoring.traps.stats import TrapCounters, socket_drops, udp_rcvbuf_errors

log = logging.getLogger("monitoring.traps")

T = TypeVar("T")

MAX_DATAGRAM = 65535
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


def parse_bind(text: str) -> tuple[str, int]:
    """``"0.0.0.0:162"``, ``"[::]:162"`` or ``"127.0.0.1:1162"`` → (host, port)."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host:
        raise ValueError(f"bind address {text!r} needs HOST:PORT")
    host = host.strip("[]")
    number = int(port)
    if not 0 <= number < 65536:
        raise ValueError(f"port out of range in {text!r}")
    return host, number


@dataclass(frozen=True, slots=True)
class ReceiverConfig:
    bind: tuple[str, int] = ("127.0.0.1", 1162)
    rcvbuf: int = 64 * 1024 * 1024
    batch_size: int = 500
    batch_ms: int = 100
    queue_max: int = 1_000_000
    directory_refresh_s: float = 10.0
    stats_every_s: float = 60.0
    repoll_min_interval_s: float = 1.0

    @classmethod
    def from_settings(cls, bind: str | None = None, **overrides: Any) -> ReceiverConfig:
        unms = settings.UNMS
        values: dict[str, Any] = {
            "bind": parse_bind(bind or unms.get("TRAP_BIND", "127.0.0.1:1162")),
        }
        # Only the settings that are present: with slots=True the class attributes are slot
        # descriptors, not the field defaults, so `cls.rcvbuf` cannot stand in for a default.
        for key, field in _SETTING_FIELDS:
            if key in unms:
                values[field] = unms[key]
        return cls(**(values | overrides))


_SETTING_FIELDS: Final = (
    ("TRAP_RCVBUF", "rcvbuf"),
    ("TRAP_BATCH_SIZE", "batch_size"),
    ("TRAP_BATCH_MS", "batch_ms"),
    ("TRAP_QUEUE_MAX", "queue_max"),
)


def open_socket(host: str, port: int, rcvbuf: int) -> tuple[socket.socket, int]:
    """A bound non-blocking UDP socket with the biggest receive buffer we may get."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        # As root SO_RCVBUFFORCE goes past net.core.rmem_max; otherwise the kernel caps
        # SO_RCVBUF there silently, hence reading back what we actually got.
        force = getattr(socket, "SO_RCVBUFFORCE", None)
        try:
            if force is None:
                raise OSError
            sock.setsockopt(socket.SOL_SOCKET, force, rcvbuf)
        except OSError:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if family == socket.AF_INET6:
            with contextlib.suppress(OSError):  # [::] also takes IPv4 (mapped addresses)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((host, port))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    # Linux reports twice the requested size (bookkeeping overhead included).
    return sock, sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


class TrapReceiver(asyncio.DatagramProtocol):
    def __init__(self, config: ReceiverConfig, pipeline: TrapPipeline | None = None) -> None:
        self.config = config
        self.counters = TrapCounters()
        self.pipeline = pipeline or TrapPipeline(
            self.counters,
            SourceDirectory(refresh_s=config.directory_refresh_s),
            repoll_min_interval_s=config.repoll_min_interval_s,
        )
        self.pipeline.counters = self.counters
        self.queue: deque[Received] = deque()
        self.address: tuple[str, int] | None = None
        self.effective_rcvbuf = 0
        self._sock: socket.socket | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        # Two threads, one job each: decoding the next batch overlaps the database's work
        # on the previous one. The decoder thread owns the source map (and its queries).
        self._decoder = ThreadPoolExecutor(1, thread_name_prefix="trapd-decode")
        self._db = ThreadPoolExecutor(1, thread_name_prefix="trapd-db")
        self._steps = ThreadPoolExecutor(1, thread_name_prefix="trapd-steps")
        self._kernel_errors_at_start: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._step_runs: set[concurrent.futures.Future[None]] = set()

    # ------------------------------------------------------------------ socket side
    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        # Hot path: no decoding, no logging, no allocation beyond the queue entry.
        self.counters.received += 1
        queue = self.queue
        if len(queue) >= self.config.queue_max:
            self.counters.dropped += 1
            return
        if not queue:
            self._wake.set()
        queue.append(Received(data, addr[0], addr[1], time.time()))

    def error_received(self, exc: Exception) -> None:
        # ICMP errors after an inform ack to a vanished sender: nothing to do.
        log.debug("trap receiver socket error: %s", exc)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> tuple[str, int]:
        loop = self._loop = asyncio.get_running_loop()
        host, port = self.config.bind
        self._sock, self.effective_rcvbuf = open_socket(host, port, self.config.rcvbuf)
        self._transport, _ = await loop.create_datagram_endpoint(lambda: self, sock=self._sock)
        self.address = self._sock.getsockname()[:2]
        self._kernel_errors_at_start = udp_rcvbuf_errors()
        wanted = self.config.rcvbuf
        log.info(
            "trap receiver listening on %s:%s (receive buffer %d KiB; requested %d KiB%s)",
            *self.address,
            self.effective_rcvbuf // 1024,
            wanted // 1024,
            "" if self.effective_rcvbuf >= wanted else "; raise net.core.rmem_max for more",
        )
        await self._in_thread(self._decoder, self.pipeline.directory.refresh)
        return self.address

    def stop(self) -> None:
        """Ask `serve` to finish: stop receiving, store what is queued, return."""
        self._stop.set()
        self._wake.set()

    async def serve(self, ready: Callable[[tuple[str, int]], object] | None = None) -> None:
        address = await self.start()
        if ready is not None:
            ready(address)
        housekeeping = asyncio.create_task(self._housekeeping(), name="trapd-housekeeping")
        try:
            await self._consume()
        finally:
            housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await housekeeping
            if self._transport is not None:
                self._transport.close()
            self.log_stats()
            # The last batches' steps were handed to this loop: let them finish first.
            await asyncio.gather(
                *(asyncio.wrap_future(run) for run in list(self._step_runs)),
                return_exceptions=True,
            )
            for executor in (self._decoder, self._db, self._steps):
                await self._in_thread(executor, connections.close_all)
                executor.shutdown(wait=True)

    # ------------------------------------------------------------------ consumer
    async def _consume(self) -> None:
        """Take batches off the queue; decode batch N+1 while batch N is being written."""
        batch_s = self.config.batch_ms / 1000
        writing: asyncio.Task[None] | None = None
        try:
            while True:
                if not self.queue:
                    if self._stop.is_set():
                        return
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                if self._stop.is_set() and self._transport is not None:
                    self._transport.close()  # no new datagrams; drain what we have
                elif len(self.queue) < self.config.batch_size:
                    wait = self.queue[0].at + batch_s - time.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                size = min(self.config.batch_size, len(self.queue))
                batch = [self.queue.popleft() for _ in range(size)]
                prepared = await self._in_thread(self._decoder, self.pipeline.prepare, batch)
                self._send_acks(prepared)
                if writing is not None:
                    await writing  # one write in flight at a time: rows stay in order
                writing = asyncio.create_task(self._write(prepared))
        finally:
            if writing is not None:
                await writing

    async def _write(self, prepared: Prepared) -> None:
        """Store (retrying with backoff while the database is down), then dispatch."""
        for attempt in itertools.count():
            try:
                await self._in_thread(self._db, self._store_and_dispatch, prepared)
                return
            except Exception as exc:
                self.counters.store_failures += 1
                delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                log.error(
                    "trap receiver: storing %d traps failed (%s: %s); retry in %.1f s, %d queued",
                    len(prepared.rows),
                    type(exc).__name__,
                    exc,
                    delay,
                    len(self.queue),
                )
                await self._in_thread(self._db, _reset_connection)
                if self._stop.is_set() and attempt >= 2:
                    # Asked to stop and the database stays away: say what is lost.
                    log.error(
                        "trap receiver: stopping with the database down; %d traps not stored",
                        len(prepared.rows) + len(self.queue),
                    )
                    self.queue.clear()
                    return
                await asyncio.sleep(delay)

    def _store_and_dispatch(self, prepared: Prepared) -> None:
        close_old_connections()
        events = self.pipeline.store(prepared)
        # Stored: from here on, failures are logged, never retried.
        try:
            self.pipeline.hint(events)
        except Exception:
            log.exception("trap receiver: re-poll hints for %d events failed", len(events))
        if events and self._loop is not None:
            # The steps get their own thread so a slow step (the alarm lifecycle under a
            # flood) delays events, never the storing of traps; batches keep their order
            # (one thread, FIFO). They run through asgiref so that async_to_sync inside
            # them (the console push) hops back onto this event loop, which the web server
            # shares in the embedded mode, rather than onto a throwaway loop in a bare thread.
            run_steps = sync_to_async(self._run_steps, thread_sensitive=False, executor=self._steps)
            future = asyncio.run_coroutine_threadsafe(run_steps(events), self._loop)
            self._step_runs.add(future)
            future.add_done_callback(self._step_runs.discard)

    def _run_steps(self, events: list[TrapEvent]) -> None:
        close_old_connections()
        try:
            self.pipeline.dispatch(events)
        except Exception:
            log.exception("trap receiver: dispatching %d events failed", len(events))

    def _send_acks(self, prepared: Prepared) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        for data, address in prepared.acks:
            with contextlib.suppress(OSError):
                self._transport.sendto(data, address)

    @staticmethod
    async def _in_thread(executor: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    # ------------------------------------------------------------------ housekeeping
    async def _housekeeping(self) -> None:
        """Source map refresh, deferred re-polls, and the stats line; once a second."""
        last_stats = time.monotonic()
        while True:
            await asyncio.sleep(1.0)
            try:
                await self._in_thread(self._decoder, self._refresh_sources)
                await self._in_thread(self._db, self._flush_repolls)
            except Exception:
                log.exception("trap receiver: periodic work failed")
            if time.monotonic() - last_stats >= self.config.stats_every_s:
                last_stats = time.monotonic()
                self.log_stats()

    def _refresh_sources(self) -> None:
        close_old_connections()
        self.pipeline.directory.maybe_refresh()

    def _flush_repolls(self) -> None:
        close_old_connections()
        self.pipeline.flush_repolls()

    def stats(self) -> dict[str, int | None]:
        """Counters plus kernel drops, for the stats line and a later /metrics."""
        kernel = udp_rcvbuf_errors()
        start = self._kernel_errors_at_start
        return self.counters.as_dict() | {
            "queued": len(self.queue),
            "socket_drops": socket_drops(self._sock) if self._sock is not None else None,
            "kernel_rcvbuf_errors": kernel,
            "kernel_rcvbuf_errors_since_start": (
                kernel - start if kernel is not None and start is not None else None
            ),
        }

    def log_stats(self) -> None:
        log.info("trap receiver stats: %s", " ".join(f"{k}={v}" for k, v in self.stats().items()))


def _reset_connection() -> None:
    # A dead connection stays dead; drop it so the retry opens a new one.
    with contextlib.suppress(Exception):
        connections["default"].close()


class ReceiverThread:
    """A receiver in its own thread and event loop, for tests, benches and embedding."""

    def __init__(self, config: ReceiverConfig) -> None:
        self.config = config
        self.receiver: TrapReceiver | None = None
        self._address: tuple[str, int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="trapd", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self.receiver = TrapReceiver(self.config)
            await self.receiver.serve(ready=lambda address: self._set_ready(address))

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()

    def _set_ready(self, address: tuple[str, int]) -> None:
        self._address = address
        self._ready.set()

    @property
    def address(self) -> tuple[str, int]:
        """Where the receiver listens (host, port); known once start() has returned."""
        if self._address is None:
            raise RuntimeError("the trap receiver has not started")
        return self._address

    def start(self, timeout: float = 10.0) -> tuple[str, int]:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("trap receiver did not start")
        if self._error is not None:
            raise self._error
        return self.address

    def stop(self, timeout: float = 30.0) -> None:
        if self._loop is not None and self.receiver is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self.receiver.stop)
        self._thread.join(timeout)

    def __enter__(self) -> ReceiverThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
