"""A simulated fleet on its own loopback addresses, and UPS rows that point at it."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

import pytest

from monitoring.models import Site, Ups
from simulator import SimulatorThread, make_fleet

_blocks = itertools.count()


@pytest.fixture
def sim_fleet() -> Iterator[SimulatorThread]:
    """Four UPSs (the fourth three-phase), each on its own 127.0.x.y, free ports."""
    # A random second octet keeps parallel runs (two CI jobs, a dev's demo) apart.
    base = f"127.{random.randrange(100, 200)}.{next(_blocks) % 250}.2"
    with SimulatorThread(make_fleet(4, base, port=0, three_phase_every=4), tick_s=0.05) as sim:
        yield sim


def ups_rows_for(sim: SimulatorThread, **fields: object) -> dict[str, Ups]:
    """One Ups row per simulated UPS, at the simulator's actual endpoints."""
    site, _ = Site.objects.get_or_create(name="Simulated branch")
    fields.setdefault("community", "public")  # the simulator's read community
    rows = {}
    for status in sim.status():
        host, port = sim.endpoint(status["name"])
        rows[status["name"]] = Ups.objects.create(
            name=status["name"], site=site, host=host, port=port, **fields
        )
    return rows
