"""Simulator → trapd over UDP: a simulated card on its own 127.0.0.x address loses mains,
sends its traps from that address, and the receiver stores them against that UPS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from monitoring.models import Trap, Ups
from monitoring.traps.events import TrapKind
from monitoring.traps.receiver import ReceiverThread
from simulator import SimulatorThread, UpsSpec
from tests.ports import free_port
from tests.traps import steps
from tests.traps.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("version", "form"), [("2c", "plain"), ("2c", "zero"), ("1", "plain")])
def test_simulated_card_on_battery_reaches_its_ups(
    start_receiver: Callable[..., ReceiverThread],
    make_ups: Callable[..., Ups],
    after_traps: Any,
    version: str,
    form: str,
) -> None:
    card_port = free_port("127.0.0.61")
    # The inventory first, as in production: the receiver's source map then knows the card.
    ups = make_ups("SIM-1", "127.0.0.61", port=card_port, trap_community="sim-traps")
    receiver = start_receiver()
    assert receiver.address is not None
    host, port = receiver.address
    spec = UpsSpec(
        name="SIM-1",
        address="127.0.0.61",
        port=card_port,
        trap_target=f"{host}:{port}",
        trap_version=version,
        trap_community="sim-traps",
        trap_oid_form=form,
    )
    with SimulatorThread([spec], tick_s=0.2) as sim:
        assert sim.endpoint("SIM-1") == ("127.0.0.61", card_port)
        sim.set_scenario("SIM-1", "mains_failure")
        event = wait_for(
            lambda: next((e for e in steps.recorded() if e.kind is TrapKind.ON_BATTERY), None)
        )
    assert event.ups_id == ups.pk
    assert event.alarm == "OnBattery"
    row = Trap.objects.get(pk=event.trap_id)
    assert (row.source_address, row.version, row.community_ok) == ("127.0.0.61", version, True)
    assert row.trap_oid == "1.3.6.1.2.1.33.2.1"
    ups.refresh_from_db()
    assert ups.next_poll_at is not None  # re-poll requested
