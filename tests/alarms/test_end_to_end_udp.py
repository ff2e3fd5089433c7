"""Traps and polls over real UDP on loopback, through the real receiver and poller.

A simulated card (or net-snmp's `snmptrap`) sends the trap → `trapd` (ReceiverThread on
a free 127.0.0.1 port) stores it and raises the alarm at once (source trap) → the
re-poll it requested, polled as the monitor loop does (claim_due + poll_sync), confirms
the alarm. Mains back → AlarmEntryRemoved trap → the alarm stays open (a trap is a hint)
until the confirming poll clears it. Waits are bounded polling loops on database rows.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from alarms.choices import AlarmSource, AlarmState, EventKind
from alarms.models import Alarm, AlarmEvent
from monitoring.choices import UpsState
from monitoring.models import Site, Trap, Ups, UpsStatus
from monitoring.polling import poll_sync
from monitoring.scheduler import claim_due
from monitoring.traps.events import TrapKind
from monitoring.traps.receiver import ReceiverThread
from simulator import SimulatorThread, UpsSpec
from tests.ports import free_port
from tests.traps.helpers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

ON_BATTERY = "OnBattery"
UPS_TRAPS = "1.3.6.1.2.1.33.2"
MINUTES_REMAINING_0 = "1.3.6.1.2.1.33.1.2.3.0"
ALARM_DESCR_1 = "1.3.6.1.2.1.33.1.6.2.1.2.1"
WELL_KNOWN_ON_BATTERY = "1.3.6.1.2.1.33.1.6.3.2"


def make_ups(sim: SimulatorThread, name: str, trap_community: str) -> Ups:
    host, port = sim.endpoint(name)
    site, _ = Site.objects.get_or_create(name="UDP end to end")
    return Ups.objects.create(
        name=name,
        site=site,
        host=host,
        port=port,
        community="public",
        trap_community=trap_community,
    )


def poll_due() -> list[int]:
    """One round of the monitor loop: claim what is due now, poll it, record it."""
    claims = claim_due(timezone.now(), limit=10)
    poll_sync([c.ups_id for c in claims])
    return [c.ups_id for c in claims]


def wait_until_due(ups: Ups) -> None:
    """The receiver asked for an immediate re-poll (next_poll_at moved to now)."""
    wait_for(
        lambda: Ups.objects.filter(pk=ups.pk, next_poll_at__lte=timezone.now()).exists(),
        timeout=15,
    )


def open_alarm(ups: Ups, kind: str = ON_BATTERY) -> Alarm | None:
    return Alarm.objects.filter(ups=ups, kind=kind, cleared_at__isnull=True).first()


def removal_reported(alarm: Alarm) -> bool:
    return AlarmEvent.objects.filter(alarm=alarm, kind=EventKind.REMOVAL_REPORTED).exists()


def baseline(ups: Ups) -> None:
    assert poll_due() == [ups.pk]  # never polled: due at once
    assert not Alarm.objects.filter(ups=ups).exists()
    assert UpsStatus.objects.get(ups=ups).state == UpsState.OK  # reached the card
    # Its next regular slot far away: only the receiver's re-poll request makes it due.
    Ups.objects.filter(pk=ups.pk).update(next_poll_at=timezone.now() + timedelta(hours=1))


def raised_by_trap_then_confirmed(ups: Ups, send: Callable[[], Any]) -> Alarm:
    send()
    alarm = wait_for(lambda: open_alarm(ups))
    trap = Trap.objects.filter(ups=ups, kind=TrapKind.ON_BATTERY).first()
    assert trap is not None
    assert trap.community_ok
    assert alarm.source == AlarmSource.TRAP
    assert alarm.state == AlarmState.ACTIVE_UNACKED
    assert "awaiting poll" in alarm.message
    wait_until_due(ups)

    assert poll_due() == [ups.pk]

    alarm.refresh_from_db()
    assert alarm.cleared_at is None  # the poll saw the UPS on battery: confirmed
    assert not alarm.frozen
    assert alarm.last_seen_at > trap.received_at  # seen by the poll after the trap
    status = UpsStatus.objects.get(ups=ups)  # the poll itself reported the condition
    assert any(
        c.get("kind") == ON_BATTERY and c.get("source") != "alarm" for c in status.conditions
    )
    assert Alarm.objects.filter(ups=ups, kind=ON_BATTERY).count() == 1
    return alarm


def cleared_after_removal_and_poll(ups: Ups, alarm: Alarm, send: Callable[[], Any]) -> None:
    send()
    wait_for(lambda: removal_reported(alarm))
    alarm.refresh_from_db()
    assert alarm.cleared_at is None  # a removal trap is a hint, not the truth
    wait_until_due(ups)

    assert poll_due() == [ups.pk]

    alarm.refresh_from_db()
    assert alarm.cleared_at is not None
    assert alarm.state == AlarmState.CLEARED_UNACKED
    assert list(
        AlarmEvent.objects.filter(alarm=alarm).order_by("at", "id").values_list("kind", flat=True)
    ) == [EventKind.RAISED, EventKind.REMOVAL_REPORTED, EventKind.CLEARED]
    assert not Alarm.objects.filter(ups=ups, cleared_at__isnull=True).exists()


@pytest.mark.parametrize("version", ["2c", "1"])
def test_simulator_traps_raise_then_polls_confirm_and_clear(
    start_receiver: Callable[..., ReceiverThread], version: str
) -> None:
    trap_port = free_port("127.0.0.1")
    # A card on its own loopback address: traps leave from the agent's socket there.
    address = (
        f"127.{random.randrange(100, 200)}.{random.randrange(0, 250)}.{random.randrange(2, 250)}"
    )
    spec = UpsSpec(
        name="SIM-E2E",
        address=address,
        port=free_port(address),
        trap_target=f"127.0.0.1:{trap_port}",
        trap_version=version,
        trap_community="e2e-traps",
    )
    with SimulatorThread([spec], tick_s=0.05) as sim:
        ups = make_ups(sim, "SIM-E2E", "e2e-traps")
        # After the UPS row, as in production: the receiver's source map then knows it.
        start_receiver(bind=("127.0.0.1", trap_port), rcvbuf=4 << 20)
        baseline(ups)

        alarm = raised_by_trap_then_confirmed(
            ups, lambda: sim.set_scenario("SIM-E2E", "mains_failure")
        )
        removed = Trap.objects.filter(ups=ups, kind=TrapKind.ALARM_REMOVED)
        assert not removed.exists()

        cleared_after_removal_and_poll(ups, alarm, lambda: sim.set_scenario("SIM-E2E", "normal"))
        assert any(WELL_KNOWN_ON_BATTERY in t.varbinds.values() for t in removed)
        assert all(t.source_address == address and t.version == version for t in removed)


HAVE_SNMPTRAP = bool(shutil.which("snmptrap"))


def snmptrap(*args: str) -> None:
    # MIBS empty: numeric OIDs only, no MIB parsing noise on stderr.
    env = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
    done = subprocess.run(
        ["snmptrap", *args], capture_output=True, text=True, timeout=20, env=env, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.netsnmp
@pytest.mark.skipif(
    not HAVE_SNMPTRAP and not os.environ.get("UNMS_REQUIRE_NETSNMP"),
    reason="net-snmp's snmptrap not installed",
)
@pytest.mark.parametrize("version", ["2c", "1"])
def test_snmptrap_raises_then_polls_confirm_and_clear(
    start_receiver: Callable[..., ReceiverThread], version: str
) -> None:
    # snmptrap sends from 127.0.0.1, so this UPS's agent (and host) is 127.0.0.1. The
    # simulated card sends no traps of its own (no trap target): only net-snmp's count.
    spec = UpsSpec(name="NET-E2E", address="127.0.0.1", port=free_port("127.0.0.1"))
    trap_port = free_port("127.0.0.1")
    target = f"127.0.0.1:{trap_port}"
    common = ["-v", version, "-c", "netsnmp-e2e", target]

    def trap(number: int, *varbinds: str) -> Callable[[], None]:
        if version == "1":
            return lambda: snmptrap(
                *common, UPS_TRAPS, "127.0.0.1", "6", str(number), "", *varbinds
            )
        return lambda: snmptrap(*common, "", f"{UPS_TRAPS}.{number}", *varbinds)

    with SimulatorThread([spec], tick_s=0.05) as sim:
        assert sim.endpoint("NET-E2E")[0] == "127.0.0.1"
        ups = make_ups(sim, "NET-E2E", "netsnmp-e2e")
        start_receiver(bind=("127.0.0.1", trap_port), rcvbuf=4 << 20)
        baseline(ups)

        sim.set_scenario("NET-E2E", "mains_failure")  # what the confirming poll will read
        alarm = raised_by_trap_then_confirmed(ups, trap(1, MINUTES_REMAINING_0, "i", "12"))

        sim.set_scenario("NET-E2E", "normal")
        cleared_after_removal_and_poll(
            ups, alarm, trap(4, ALARM_DESCR_1, "o", WELL_KNOWN_ON_BATTERY)
        )
    assert set(Trap.objects.values_list("source_address", "version", "community_ok")) == {
        ("127.0.0.1", version, True)
    }
