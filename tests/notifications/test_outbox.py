"""Planning and sending through the database with a controllable clock: alarm events
in, outbox rows, e-mails out (locmem backend here; the real SMTP server is in
test_transports and test_faults)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alarms import lifecycle
from alarms.models import AlarmEvent
from monitoring.choices import ConditionKind, Severity
from notifications.choices import Event, State, Trigger
from notifications.models import Notification
from notifications.outbox import plan_pending
from notifications.sender import deliver_due, resend
from tests.factories import MeasurementFactory, SiteFactory, UpsFactory, UpsStatusFactory
from tests.notifications.factories import (
    T0,
    MaintenanceWindowFactory,
    RecipientFactory,
    clear_alarm,
    make_rule,
    raise_alarm,
)

pytestmark = pytest.mark.django_db


def at(seconds: float) -> Any:
    return T0 + timedelta(seconds=seconds)


def tick(seconds: float) -> None:
    """One planner tick and one sender sweep at T0 + seconds."""
    plan_pending(at(seconds))
    deliver_due(at(seconds))


def subjects() -> list[str]:
    return [str(m.subject) for m in mail.outbox]


def test_raise_and_clear_send_one_mail_each_and_mark_events(alice, email_channel) -> None:
    make_rule([(Trigger.IMMEDIATE, 0), (Trigger.ON_CLEAR, 0)], [(alice, email_channel)])
    ups = UpsFactory.create(name="ups-bank-7", site=SiteFactory.create(name="Branch 7"))
    alarm = raise_alarm(ups, at(0))
    tick(1)
    tick(2)  # planning again changes nothing
    assert subjects() == ["[WARNING] On battery - ups-bank-7 @ Branch 7 (Raised)"]
    assert not AlarmEvent.objects.filter(processed_at__isnull=True).exists()
    clear_alarm(alarm, at(90))
    tick(91)
    assert subjects()[1] == "[WARNING] On battery - ups-bank-7 @ Branch 7 (Cleared)"
    sent = Notification.objects.get(event=Event.RAISED)
    assert (sent.state, sent.attempts, sent.sent_at) == (State.SENT, 1, at(1))
    assert mail.outbox[0].to == ["alice@example.org"]
    assert "http://unms.test/ups/" in mail.outbox[0].body


# (name, steps, timeline of (seconds, action), tick times, expected events in order)
TIMING = [
    (
        "blip swallowed by 30 s delay",
        [(Trigger.STILL_ACTIVE, 30), (Trigger.ON_CLEAR, 0)],
        [(0, "raise"), (10, "clear")],
        [5, 15, 35, 60],
        [],
    ),
    (
        "still active after 30 s",
        [(Trigger.STILL_ACTIVE, 30), (Trigger.ON_CLEAR, 0)],
        [(0, "raise"), (100, "clear")],
        [5, 29, 31, 60, 101],
        ["still_active", "cleared"],
    ),
    (
        "repeat every 60 s, 2 at most",
        [(Trigger.IMMEDIATE, 0), (Trigger.REPEAT, 60, 2)],
        [(0, "raise")],
        [1, 61, 121, 181, 241],
        ["raised", "repeat", "repeat"],
    ),
    (
        "repeat stops on ack",
        [(Trigger.IMMEDIATE, 0), (Trigger.REPEAT, 60, None)],
        [(0, "raise"), (70, "ack")],
        [1, 61, 121, 181],
        ["raised", "repeat"],
    ),
]


@pytest.mark.parametrize(
    ("name", "steps", "timeline", "ticks", "expected"), TIMING, ids=[c[0] for c in TIMING]
)
def test_timing_through_the_database(
    name, steps, timeline, ticks, expected, alice, email_channel
) -> None:
    make_rule(steps, [(alice, email_channel)])
    ups = UpsFactory.create()
    alarm = None
    actions = sorted([(t, "action", a) for t, a in timeline] + [(t, "tick", None) for t in ticks])
    for t, what, action in actions:
        if what == "tick":
            tick(t)
        elif action == "raise":
            alarm = raise_alarm(ups, at(t))
        elif action == "clear":
            assert alarm is not None
            clear_alarm(alarm, at(t))
        elif action == "ack":
            assert alarm is not None
            lifecycle.acknowledge([alarm.pk], None, now=at(t))
    assert (
        list(Notification.objects.order_by("due_at", "id").values_list("event", flat=True))
        == expected
    )
    assert len(mail.outbox) == len(expected)


def test_on_battery_time_and_runtime_come_from_the_latest_reading(alice, email_channel) -> None:
    make_rule(
        [(Trigger.ON_BATTERY_FOR, 300), (Trigger.RUNTIME_BELOW, 600)], [(alice, email_channel)]
    )
    ups = UpsFactory.create()
    m = MeasurementFactory.create(
        ups=ups, taken_at=at(60), seconds_on_battery=80, runtime_remaining_s=900
    )
    UpsStatusFactory.create(ups=ups, measurement=m)
    raise_alarm(ups, at(30))
    tick(61)
    assert Notification.objects.count() == 0
    m2 = MeasurementFactory.create(
        ups=ups, taken_at=at(300), seconds_on_battery=320, runtime_remaining_s=500
    )
    ups.status.measurement = m2
    ups.status.save()
    tick(301)
    assert sorted(Notification.objects.values_list("event", flat=True)) == [
        "on_battery",
        "runtime_low",
    ]
    assert Notification.objects.get(event="on_battery").due_at == at(280)  # since the transfer


def test_escalation_reaches_the_next_level_if_not_acked(alice, bob, email_channel) -> None:
    make_rule(
        [(Trigger.IMMEDIATE, 0)],
        [(alice, email_channel), (bob, email_channel, 1)],
        escalate_after_s=600,
    )
    acked = raise_alarm(UpsFactory.create(), at(0))
    raise_alarm(UpsFactory.create(), at(0))
    tick(1)
    lifecycle.acknowledge([acked.pk], None, now=at(300))
    tick(599)
    tick(600)
    assert [(m.to[0], "Escalation" in m.subject) for m in mail.outbox] == [
        ("alice@example.org", False),
        ("alice@example.org", False),
        ("bob@example.org", True),
    ]


def test_maintenance_holds_and_marks(alice, email_channel) -> None:
    make_rule([(Trigger.IMMEDIATE, 0)], [(alice, email_channel)])
    site = SiteFactory.create()
    MaintenanceWindowFactory.create(
        site=site, starts_at=at(-60), ends_at=at(600), reason="generator test"
    )
    alarm = raise_alarm(UpsFactory.create(site=site), at(0))
    tick(1)
    row = Notification.objects.get()
    assert (row.state, row.held_reason) == (State.HELD, "maintenance: generator test")
    assert alarm.events.count() == 1  # the alarm itself is recorded as usual
    assert mail.outbox == []
    # An administrator may still send it.
    resend([row.pk], at(2))
    deliver_due(at(2))
    assert len(mail.outbox) == 1


def test_storm_60_upses_on_battery_one_digest_per_recipient(email_channel) -> None:
    recipients = [RecipientFactory.create() for _ in range(3)]
    make_rule(
        [(Trigger.IMMEDIATE, 0)], [(r, email_channel) for r in recipients], storm_control=True
    )
    critical_ups = UpsFactory.create(name="ups-critical")
    upses = [UpsFactory.create(enabled=False) for _ in range(60)]  # no licence limit in play
    for i, ups in enumerate(upses):  # a regional mains failure seen over 30 s of polls
        raise_alarm(ups, at(i / 2))
        if i % 10 == 0:
            tick(i / 2 + 0.1)
    raise_alarm(critical_ups, at(31), kind=ConditionKind.LOW_BATTERY, severity=Severity.CRITICAL)
    tick(31.5)
    assert [m.subject for m in mail.outbox] == [
        f"[CRITICAL] Low battery - ups-critical @ {critical_ups.site.name} (Raised)"
    ] * 3
    tick(59)
    assert len(mail.outbox) == 3  # the window is still open
    tick(60.2)
    digests = mail.outbox[3:]
    assert len(digests) == 3
    assert all(m.subject == "[UNMS] 60 alarms on 60 UPSs: On battery x60" for m in digests)
    assert all(m.body.count("On battery - Raised") == 60 for m in digests)
    assert Notification.objects.filter(state=State.SENT).count() == 183


def test_a_digest_larger_than_the_claim_batch_is_still_one_message(settings, email_channel) -> None:
    settings.NOTIFY = {**settings.NOTIFY, "BATCH_SIZE": 7}
    recipients = [RecipientFactory.create() for _ in range(3)]
    make_rule(
        [(Trigger.IMMEDIATE, 0)], [(r, email_channel) for r in recipients], storm_control=True
    )
    for _ in range(10):
        raise_alarm(UpsFactory.create(enabled=False), at(0))
    tick(1)
    tick(61)
    assert [m.subject for m in mail.outbox] == ["[UNMS] 10 alarms on 10 UPSs: On battery x10"] * 3


def test_planning_and_sending_cost_few_queries(email_channel) -> None:
    recipients = [RecipientFactory.create() for _ in range(5)]
    make_rule(
        [(Trigger.IMMEDIATE, 0)], [(r, email_channel) for r in recipients], storm_control=True
    )
    for _ in range(40):
        raise_alarm(UpsFactory.create(enabled=False), at(0))
    with CaptureQueriesContext(connection) as planning:
        plan_pending(at(1))
    with CaptureQueriesContext(connection) as sending:
        deliver_due(at(61))
    assert Notification.objects.filter(state=State.SENT).count() == 200
    assert len(mail.outbox) == 5
    # Constant in the number of alarms: no query per row.
    assert len(planning) <= 20, [q["sql"][:80] for q in planning]
    assert len(sending) <= 15, [q["sql"][:80] for q in sending]
