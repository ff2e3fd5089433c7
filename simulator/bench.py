"""Load generator for the simulator: pipelined GETBULK/GET over one UDP socket.

Run it in its own process (``python -m simulator bench``) so client and agent do not
share a CPU core. Requests are pre-encoded, so the client costs little per request.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from typing import Any

from monitoring.snmp.ber import (
    NULL,
    Message,
    Pdu,
    PduType,
    decode_message,
    encode_message,
    oid,
)
from simulator.fleet import require_loopback

UPS_MIB_ROOT = "1.3.6.1.2.1.33.1"
GET_OIDS = [f"1.3.6.1.2.1.33.1.2.{n}.0" for n in range(1, 8)] + ["1.3.6.1.2.1.33.1.4.1.0"]


def _requests(kind: str, community: str, count: int, max_repetitions: int) -> list[bytes]:
    out = []
    for request_id in range(1, count + 1):
        if kind == "bulk":
            root = [(oid(UPS_MIB_ROOT), NULL)]
            pdu = Pdu(PduType.GET_BULK_REQUEST, request_id, 0, max_repetitions, root)
        else:
            pdu = Pdu(PduType.GET_REQUEST, request_id, 0, 0, [(oid(o), NULL) for o in GET_OIDS])
        out.append(encode_message(Message(1, community.encode(), pdu)))
    return out


def run_bench(
    targets: Sequence[tuple[str, int]],
    seconds: float = 5.0,
    inflight: int = 32,
    community: str = "public",
    kind: str = "bulk",
    max_repetitions: int = 20,
    verify: bool = False,
) -> dict[str, Any]:
    """Keep `inflight` requests outstanding against `targets` for `seconds`; count answers."""
    for host, _ in targets:
        require_loopback(host)
    requests = _requests(kind, community, 4096, max_repetitions)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    sent = received = timeouts = 0
    varbinds = 0

    def send() -> None:
        nonlocal sent
        sock.sendto(requests[sent % len(requests)], targets[sent % len(targets)])
        sent += 1

    for _ in range(inflight):
        send()
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            timeouts += 1
            for _ in range(inflight):  # refill the pipeline after losses
                send()
            continue
        received += 1
        if verify:
            varbinds += len(decode_message(data).pdu.varbinds)
        send()
    elapsed = time.perf_counter() - start
    sock.close()
    return {
        "kind": kind,
        "targets": len(targets),
        "seconds": round(elapsed, 2),
        "sent": sent,
        "received": received,
        "timeouts": timeouts,
        "requests_per_s": round(received / elapsed, 1),
        "varbinds": varbinds,
    }
