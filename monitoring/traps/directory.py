"""Source address → UPS, from a cached map instead of a query per packet.

The map is reloaded every `refresh_s` (new, moved or deleted UPSs show up within that
time) and, when an address is not in it, at most once per `miss_refresh_s`, so a UPS
added a moment ago is recognised quickly while a flood from an unknown address costs
one query per second, not one per packet. Only the receiver's decoder thread uses it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)

DNS_TTL_S = 300.0


@dataclass(frozen=True, slots=True)
class Source:
    ups_id: int
    port: int
    community: bytes  # the UPS's trap community (its read community when unset)
    enabled: bool


@dataclass(frozen=True, slots=True)
class Match:
    source: Source | None  # None: no UPS has this address
    community_ok: bool


def canonical_address(address: str) -> str:
    """One spelling per address: IPv4-mapped IPv6 → IPv4, IPv6 compressed."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def _load_rows() -> list[tuple[int, str, int, str, str, bool]]:
    from monitoring.models import Ups

    return list(
        Ups.objects.values_list("id", "host", "port", "trap_community", "community", "enabled")
    )


class SourceDirectory:
    def __init__(
        self,
        *,
        refresh_s: float = 10.0,
        miss_refresh_s: float = 1.0,
        load: Callable[[], Iterable[tuple[int, str, int, str, str, bool]]] = _load_rows,
        resolve: Callable[[str], list[str]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.refresh_s = refresh_s
        self.miss_refresh_s = miss_refresh_s
        self._load = load
        self._resolve = resolve or _resolve
        self._clock = clock
        self._by_address: dict[str, list[Source]] = {}
        self._loaded_at = float("-inf")
        self._dns: dict[str, tuple[float, list[str]]] = {}
        self.refreshes = 0

    def refresh(self) -> None:
        """Reload the map; on a database error keep the old one (and say so)."""
        now = self._clock()
        self._loaded_at = now  # also on failure: retry after the usual delay, not per packet
        try:
            rows = list(self._load())
        except Exception:
            log.warning("trap source map: reload failed, keeping the old one", exc_info=True)
            return
        by_address: dict[str, list[Source]] = {}
        for ups_id, host, port, trap_community, community, enabled in rows:
            source = Source(ups_id, port, (trap_community or community).encode(), enabled)
            for address in self._addresses(host, now):
                by_address.setdefault(address, []).append(source)
        self._by_address = by_address
        self.refreshes += 1

    def _addresses(self, host: str, now: float) -> list[str]:
        try:
            return [canonical_address(str(ipaddress.ip_address(host)))]
        except ValueError:
            pass
        # A DNS name: traps come from an address, so resolve (cached; a failure means the
        # UPS's traps count as "unknown source" until the name resolves).
        cached = self._dns.get(host)
        if cached is None or now - cached[0] > DNS_TTL_S:
            try:
                cached = (now, [canonical_address(a) for a in self._resolve(host)])
            except OSError:
                cached = (now, [])
            self._dns[host] = cached
        return cached[1]

    def maybe_refresh(self) -> None:
        if self._clock() - self._loaded_at >= self.refresh_s:
            self.refresh()

    def match(self, address: str, port: int, community: bytes | None) -> Match:
        """The UPS a datagram from (address, port) belongs to and whether its community fits.

        Several UPSs may share an address (a proxy agent, different ports): the one whose
        agent port is the source port wins, then the one whose community fits.
        """
        candidates = self._by_address.get(address)
        if candidates is None and self._clock() - self._loaded_at >= self.miss_refresh_s:
            self.refresh()
            candidates = self._by_address.get(address)
        if not candidates:
            return Match(None, False)
        ordered = [c for c in candidates if c.port == port] + candidates
        if community is not None:
            for candidate in ordered:
                if hmac.compare_digest(candidate.community, community):
                    return Match(candidate, True)
        return Match(ordered[0], False)


def _resolve(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    return sorted({str(info[4][0]) for info in infos})
