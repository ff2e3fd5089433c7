"""The receiver end to end over real UDP on loopback, writing to the test database.

Each test starts a real receiver (own thread and event loop, own DB connection) on a
free port and sends datagrams from sockets bound to the cards' loopback addresses.
"""

from __future__ import annotations

import logging
import os
import random
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone

from monitoring.models import Trap, Ups
from monitoring.snmp.ber import Pdu, PduType, decode_message, integer, oid
from monitoring.traps.events import TrapEvent, TrapKind
from monitoring.traps.receiver import ReceiverThread
from tests.traps import steps
from tests.traps.helpers import (
    MINUTES_REMAINING_0,
    Sender,
    alarm_varbinds,
    on_battery,
    v1_trap,
    v2c_trap,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

StartReceiver = Callable[..., ReceiverThread]
MakeUps = Callable[..., Ups]


def stored(count: int) -> Callable[[], bool]:
    return lambda: Trap.objects.count() >= count


def far_future_poll(ups: Ups) -> None:
    Ups.objects.filter(pk=ups.pk).update(next_poll_at=timezone.now() + timedelta(hours=1))


def test_v2c_both_forms_and_v1_are_stored_matched_and_dispatched(
    start_receiver: StartReceiver, make_ups: MakeUps, after_traps: list[Any]
) -> None:
    ups = make_ups("UPS-A", "127.0.0.21")
    far_future_poll(ups)
    receiver = start_receiver()
    with Sender("127.0.0.21") as card:
        card.send(on_battery(), receiver.address)
        card.send(v2c_trap("1.3.6.1.2.1.33.2.0.3", alarm_varbinds("LowBattery")), receiver.address)
        card.send(v1_trap(4, alarm_varbinds("LowBattery")), receiver.address)
        card.send(v1_trap(2, enterprise="1.3.6.1.2.1.33"), receiver.address)
        wait_for(lambda: len(steps.recorded()) == 4)
    rows = list(Trap.objects.order_by("id"))
    assert [(r.version, r.trap_oid, r.kind, r.alarm) for r in rows] == [
        ("2c", "1.3.6.1.2.1.33.2.1", TrapKind.ON_BATTERY, "OnBattery"),
        ("2c", "1.3.6.1.2.1.33.2.3", TrapKind.ALARM_ADDED, "LowBattery"),
        ("1", "1.3.6.1.2.1.33.2.4", TrapKind.ALARM_REMOVED, "LowBattery"),
        ("1", "1.3.6.1.2.1.33.2.2", TrapKind.TEST_COMPLETED, ""),
    ]
    assert all(
        r.ups_id == ups.pk and r.community_ok and r.source_address == "127.0.0.21" for r in rows
    )
    events = sorted(steps.recorded(), key=lambda e: e.trap_id)
    assert [e.trap_id for e in events] == [r.pk for r in rows]
    first = events[0]
    assert isinstance(first, TrapEvent)
    assert (first.ups_id, first.kind, first.alarm) == (ups.pk, TrapKind.ON_BATTERY, "OnBattery")
    assert first.trap_oid == "1.3.6.1.2.1.33.2.1"
    assert first.varbinds["1.3.6.1.2.1.33.1.2.3.0"] == 12
    assert first.received_at.tzinfo is not None
    assert events[3].alarm is None
    # The trap is a hint: the UPS is due for a poll now.
    ups.refresh_from_db()
    assert ups.next_poll_at is not None
    assert ups.next_poll_at <= timezone.now()


def test_inform_is_acknowledged(
    start_receiver: StartReceiver, make_ups: MakeUps, after_traps: list[Any]
) -> None:
    make_ups("UPS-I", "127.0.0.22")
    receiver = start_receiver()
    with Sender("127.0.0.22") as card:
        card.sock.settimeout(5)
        card.send(v2c_trap("1.3.6.1.2.1.33.2.1", inform=True, request_id=4242), receiver.address)
        answer = decode_message(card.sock.recv(65535))
    assert isinstance(answer.pdu, Pdu)
    assert answer.pdu.type is PduType.RESPONSE
    assert answer.pdu.request_id == 4242
    wait_for(lambda: steps.recorded())
    assert Trap.objects.get().inform


def test_unknown_source_is_stored_counted_logged_and_creates_nothing(
    start_receiver: StartReceiver,
    make_ups: MakeUps,
    after_traps: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_ups("UPS-K", "127.0.0.23")
    receiver = start_receiver()
    with caplog.at_level(logging.WARNING, "monitoring.traps"), Sender("127.0.0.9") as stranger:
        for _ in range(50):
            stranger.send(on_battery(), receiver.address)
        wait_for(stored(50))
    assert Trap.objects.filter(ups__isnull=True, source_address="127.0.0.9").count() == 50
    assert Ups.objects.count() == 1  # no inventory from traps
    assert steps.recorded() == []
    assert receiver.receiver is not None
    assert receiver.receiver.counters.unknown_source == 50
    warnings = [r.getMessage() for r in caplog.records if "127.0.0.9" in r.getMessage()]
    assert len(warnings) == 1  # rate-limited per source
    assert "no UPS has this address" in warnings[0]


def test_wrong_community_is_stored_without_the_community_and_creates_no_event(
    start_receiver: StartReceiver,
    make_ups: MakeUps,
    after_traps: list[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    ups = make_ups("UPS-C", "127.0.0.24", trap_community="s3cret-traps")
    far_future_poll(ups)
    receiver = start_receiver()
    with caplog.at_level(logging.INFO), Sender("127.0.0.24") as card:
        card.send(on_battery(community="s3cret-trapz"), receiver.address)
        card.send(on_battery(community="public"), receiver.address)  # the read one: no
        wait_for(stored(2))
        card.send(on_battery(community="s3cret-traps"), receiver.address)
        wait_for(lambda: steps.recorded())
    rows = list(Trap.objects.order_by("id"))
    assert [(r.ups_id, r.community_ok) for r in rows] == [
        (ups.pk, False),
        (ups.pk, False),
        (ups.pk, True),
    ]
    assert [e.trap_id for e in steps.recorded()] == [rows[2].pk]
    # The community is never stored nor logged.
    everything = " ".join(str(list(Trap.objects.values_list())) for _ in [0]) + caplog.text
    assert "s3cret-trapz" not in everything
    assert "wrong community" in caplog.text


def test_garbage_truncated_and_oversized_datagrams_are_survived_and_kept(
    start_receiver: StartReceiver, make_ups: MakeUps, after_traps: list[Any]
) -> None:
    make_ups("UPS-G", "127.0.0.25")
    receiver = start_receiver()
    rng = random.Random(7)
    junk = [rng.randbytes(rng.randint(1, 300)) for _ in range(200)]
    good = on_battery()
    junk += [good[:cut] for cut in range(1, len(good))]  # every truncation
    junk.append(b"\x30\x84\xff\xff\xff\xff")  # a 4 GiB length
    junk.append(os.urandom(65507))  # the largest UDP/IPv4 payload
    with Sender("127.0.0.25") as card:
        card.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        for data in junk:
            card.send(data, receiver.address)
        card.send(good, receiver.address)  # still alive afterwards
        wait_for(lambda: steps.recorded(), timeout=20)
        wait_for(stored(len(junk) + 1), timeout=20)
    assert receiver.receiver is not None
    counters = receiver.receiver.counters
    assert counters.malformed == len(junk)
    assert counters.received == len(junk) + 1
    bad = Trap.objects.exclude(error="")
    assert bad.count() == len(junk)
    assert all(row.ups is not None for row in bad)  # a known card sending garbage
    biggest = max(bad, key=lambda row: len(row.raw_hex))
    assert len(biggest.raw_hex) == 1024  # first 512 bytes, hex
    assert len(steps.recorded()) == 1


def test_unknown_trap_oid_is_stored_as_other(
    start_receiver: StartReceiver, make_ups: MakeUps, after_traps: list[Any]
) -> None:
    make_ups("UPS-O", "127.0.0.26")
    receiver = start_receiver()
    with Sender("127.0.0.26") as card:
        card.send(
            v2c_trap("1.3.6.1.4.1.99999.0.7", [(oid("1.3.6.1.4.1.99999.1"), integer(3))]),
            receiver.address,
        )
        wait_for(lambda: steps.recorded())
    row = Trap.objects.get()
    assert (row.kind, row.trap_oid, row.alarm) == (TrapKind.OTHER, "1.3.6.1.4.1.99999.0.7", "")
    assert steps.recorded()[0].kind is TrapKind.OTHER


def test_a_flood_from_one_source_is_stored_completely(
    start_receiver: StartReceiver, make_ups: MakeUps, after_traps: list[Any]
) -> None:
    ups = make_ups("UPS-F", "127.0.0.27")
    receiver = start_receiver(rcvbuf=64 << 20)
    count = 5000
    with Sender("127.0.0.27") as card:
        for n in range(count):
            card.send(
                v2c_trap("1.3.6.1.2.1.33.2.1", [(MINUTES_REMAINING_0, integer(n))], request_id=n),
                receiver.address,
            )
        wait_for(stored(count), timeout=60)
    assert Trap.objects.filter(ups=ups, community_ok=True).count() == count
    wait_for(lambda: len(steps.recorded()) == count)
    assert receiver.receiver is not None
    assert receiver.receiver.counters.dropped == 0
    # One re-poll request per second at most, not one per trap.
    assert receiver.receiver.counters.repolls < 50


def test_a_failing_step_does_not_stop_the_receiver_or_the_other_steps(
    start_receiver: StartReceiver, make_ups: MakeUps, settings: Any
) -> None:
    steps.CALLS.clear()
    settings.UNMS = {
        **settings.UNMS,
        "AFTER_TRAPS": [
            "tests.traps.steps.fail",
            "tests.traps.steps.no_such_step",
            "tests.traps.steps.record",
        ],
    }
    make_ups("UPS-S", "127.0.0.28")
    receiver = start_receiver()
    with Sender("127.0.0.28") as card:
        card.send(on_battery(), receiver.address)
        wait_for(lambda: len(steps.recorded()) == 1)
        card.send(on_battery(), receiver.address)
        wait_for(lambda: len(steps.recorded()) == 2)
    assert receiver.receiver is not None
    assert receiver.receiver.counters.step_errors == 2
    assert Trap.objects.count() == 2


def test_database_errors_are_retried_and_nothing_is_lost(
    start_receiver: StartReceiver,
    make_ups: MakeUps,
    after_traps: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_ups("UPS-D", "127.0.0.29")
    receiver = start_receiver()
    assert receiver.receiver is not None
    pipeline = receiver.receiver.pipeline
    real_store = pipeline.store
    failures = {"left": 2}

    def flaky_store(prepared: Any) -> list[TrapEvent]:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("connection refused (simulated)")
        return real_store(prepared)

    monkeypatch.setattr(pipeline, "store", flaky_store)
    with Sender("127.0.0.29") as card:
        for _ in range(30):
            card.send(on_battery(), receiver.address)
        wait_for(stored(30), timeout=20)
    # >= : on a loaded box SQLite's shared-cache test DB may add a "table is locked".
    assert receiver.receiver.counters.store_failures >= 2
    wait_for(lambda: len(steps.recorded()) == 30)  # the steps run in their own thread


def test_a_new_ups_is_recognised_within_a_second(
    start_receiver: StartReceiver, make_ups: MakeUps, after_traps: list[Any]
) -> None:
    receiver = start_receiver()
    with Sender("127.0.0.30") as card:
        card.send(on_battery(), receiver.address)
        wait_for(stored(1))
        make_ups("UPS-N", "127.0.0.30")

        def resend_until_recorded() -> bool:
            card.send(on_battery(), receiver.address)
            return bool(steps.recorded())

        wait_for(resend_until_recorded, timeout=5, every=0.3)
    assert Trap.objects.filter(ups__name="UPS-N").exists()
    assert Trap.objects.filter(ups__isnull=True).exists()
