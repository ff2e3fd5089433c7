"""Counters of the trap receiver, the kernel's drop counters, and a log that cannot flood.

`TrapCounters.as_dict()` is what a later /metrics endpoint exports. Each counter has one
writer (the event loop: received, dropped; the decoder thread: decoded ... informs; the
DB thread: stored, store_failures, repolls; the steps thread: events, step_errors), so
no locks.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

PROC_NET_SNMP = Path("/proc/net/snmp")


@dataclass(slots=True)
class TrapCounters:
    received: int = 0  # datagrams taken from the socket
    dropped: int = 0  # queue overflow (the in-memory queue was full)
    decoded: int = 0  # well-formed v1/v2c notifications
    malformed: int = 0  # anything else (stored with error text and hex)
    unknown_source: int = 0  # no UPS has the source address
    bad_community: int = 0  # a known UPS, the wrong trap community
    accepted: int = 0  # known source + right community
    informs: int = 0  # InformRequests acknowledged
    stored: int = 0  # rows written
    events: int = 0  # TrapEvents handed to AFTER_TRAPS
    step_errors: int = 0  # AFTER_TRAPS steps that raised
    store_failures: int = 0  # batch writes that failed (and were retried)
    repolls: int = 0  # re-poll requests made

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def udp_rcvbuf_errors(path: Path = PROC_NET_SNMP) -> int | None:
    """The kernel's UDP RcvbufErrors (all sockets of this network namespace); None off Linux."""
    try:
        lines = [line.split() for line in path.read_text().splitlines() if line.startswith("Udp:")]
        header, values = lines[0], lines[1]
        return int(values[header.index("RcvbufErrors")])
    except (OSError, IndexError, ValueError):
        return None


def socket_drops(sock: socket.socket) -> int | None:
    """Datagrams the kernel dropped for this very socket (the `drops` column of /proc/net/udp)."""
    try:
        inode = str(os.fstat(sock.fileno()).st_ino)
    except OSError:
        return None
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) >= 13 and fields[9] == inode:
                return int(fields[12])
    return None


class RateLimitedLog:
    """At most one WARNING per key per `every_s`; the next one says how many were held back."""

    MAX_KEYS = 10_000  # a spoofed-source flood must not grow this without bound

    def __init__(
        self,
        logger: logging.Logger,
        every_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.every_s = every_s
        self.clock = clock
        self._last: dict[str, tuple[float, int]] = {}

    def warning(self, key: str, message: str, *args: object) -> bool:
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last[0] < self.every_s:
            self._last[key] = (last[0], last[1] + 1)
            return False
        if len(self._last) >= self.MAX_KEYS:
            self._last.clear()
        suppressed = last[1] if last is not None else 0
        self._last[key] = (now, 0)
        if suppressed:
            message += " (%d similar suppressed)"
            args = (*args, suppressed)
        self.logger.warning(message, *args)
        return True
