"""The demo estate: a bank with branches in three regions, and a script of incidents.

`demo_fleet()` gives the simulated UPSs (each on its own 127.0.10.x address) and
`DemoDirector` plays `INCIDENTS` in a loop so that the fleet picture keeps changing: a
regional mains failure, an overload, a branch that stops answering, a self-test.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass

from simulator.fleet import UpsSpec
from simulator.runtime import Simulator

log = logging.getLogger(__name__)

DEMO_BASE_ADDRESS = "127.0.10.2"


@dataclass(frozen=True, slots=True)
class DemoSite:
    region: str
    name: str
    code: str
    upses: int
    three_phase: int = 0  # the first N of the site's UPSs are three-phase (server rooms)


DEMO_SITES: tuple[DemoSite, ...] = (
    # 25 UPSs: the free licence tier, so the demo needs no licence key.
    DemoSite("North", "Milano Centro", "MI", 7, three_phase=2),
    DemoSite("North", "Torino Lingotto", "TO", 6, three_phase=1),
    DemoSite("Centre", "Roma EUR", "RM", 7, three_phase=2),
    DemoSite("South", "Napoli Porto", "NA", 5),
)


def demo_fleet(port: int, trap_target: str | None = None) -> list[tuple[DemoSite, UpsSpec]]:
    """(site, simulated UPS) pairs; names read like a branch register: `MI-03`."""
    address = ipaddress.IPv4Address(DEMO_BASE_ADDRESS)
    fleet = []
    for site in DEMO_SITES:
        for number in range(1, site.upses + 1):
            spec = UpsSpec(
                name=f"{site.code}-{number:02d}",
                address=str(address),
                port=port,
                model="three" if number <= site.three_phase else "single",
                trap_target=trap_target,
            )
            fleet.append((site, spec))
            address += 1
    return fleet


@dataclass(frozen=True, slots=True)
class Incident:
    """Put `upses` into `scenario` at `at` seconds into the script."""

    at: float
    scenario: str
    upses: tuple[str, ...]


# One lap of the script (seconds of real time); it starts again after LAP_S.
INCIDENTS: tuple[Incident, ...] = (
    Incident(20, "mains_failure", ("NA-01", "NA-02", "NA-03", "NA-04")),  # regional outage
    Incident(40, "overload", ("MI-05",)),
    Incident(60, "comm_loss", ("TO-06",)),
    Incident(90, "self_test", ("RM-03",)),
    Incident(120, "bypass", ("RM-07",)),
    Incident(150, "mains_return", ("NA-01", "NA-02", "NA-03", "NA-04")),
    Incident(170, "normal", ("MI-05",)),
    Incident(200, "normal", ("TO-06", "RM-07")),
    Incident(220, "battery_bad", ("TO-02",)),
    Incident(280, "normal", ("TO-02",)),
)
LAP_S = 300.0


class DemoDirector:
    """Plays the incident script against a running simulator, forever."""

    def __init__(self, simulator: Simulator, incidents: tuple[Incident, ...] = INCIDENTS) -> None:
        self.simulator = simulator
        self.incidents = incidents

    async def run(self) -> None:
        while True:
            elapsed = 0.0
            for incident in self.incidents:
                await asyncio.sleep(incident.at - elapsed)
                elapsed = incident.at
                for name in incident.upses:
                    self.simulator.set_scenario(name, incident.scenario)
                log.info("demo: %s → %s", ", ".join(incident.upses), incident.scenario)
            await asyncio.sleep(LAP_S - elapsed)
