"""Free loopback ports, for what must be given a port number before anything binds it (a
subprocess, a simulated fleet's first port, a control address on a command line).

Where the code under test can bind port 0 itself, tests do that instead: a probed port is
only free at the moment of the probe, and TCP and UDP ports are separate, so probe with the
kind of socket that will use the number.
"""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1", kind: socket.SocketKind = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
