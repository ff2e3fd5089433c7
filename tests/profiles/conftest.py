"""A simulated fleet with one card per vendor profile, served over UDP on loopback."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from simulator import SimulatorThread, UpsSpec

# name → (recording or None for the model's UPS-MIB tree, extra fleet keys)
CARDS: dict[str, dict[str, Any]] = {
    "APC-1": {"recording": "apc_smartups"},
    "APC-3": {"recording": "apc_symmetra"},
    "XUPS": {"recording": "eaton_xups"},
    "MGE": {"recording": "eaton_mge"},
    "CPS": {"recording": "cyberpower"},
    "NV5": {"recording": "socomec_nv5"},
    "NV7": {"recording": "socomec_nv7"},
    "XPPC": {"recording": "xppc"},
    "STUB": {"recording": "ups_mib_stub"},
    "CS141": {"sensors": "normal"},
    "RACK": {"sensors": "rack_overheating"},
    "DOOR": {"sensors": "door_opened"},
}


@pytest.fixture(scope="session")
def vendor_sim() -> Iterator[SimulatorThread]:
    fleet = [
        UpsSpec(name=name, address="127.0.0.1", port=0, extra=dict(extra))
        for name, extra in CARDS.items()
    ]
    with SimulatorThread(fleet, tick_s=0.05) as sim:
        yield sim


def probe_json(sim: SimulatorThread, name: str, *args: str) -> dict[str, Any]:
    host, port = sim.endpoint(name)
    out = io.StringIO()
    call_command("probe", f"{host}:{port}", "--json", "--timeout", "1", *args, stdout=out)
    return json.loads(out.getvalue())
