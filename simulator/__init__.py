"""UPS fleet simulator: real SNMP v1/v2c agents (RFC 1628 UPS-MIB) on loopback addresses.

No Django here. Public API::

    from simulator import Simulator, SimulatorThread, UpsSpec, make_fleet, load_fleet
"""

from __future__ import annotations

from simulator.fleet import QUIRKS, UpsSpec, load_fleet, make_fleet, save_fleet
from simulator.model import SCENARIOS
from simulator.runtime import Simulator, SimulatorThread
from simulator.traps import TRAP_KINDS

__all__ = [
    "QUIRKS",
    "SCENARIOS",
    "TRAP_KINDS",
    "Simulator",
    "SimulatorThread",
    "UpsSpec",
    "load_fleet",
    "make_fleet",
    "save_fleet",
]
