"""Lifecycle rules end to end through the recorder: Readings in, alarms and events out.

Each scenario is a table of steps at chosen times (the clock is the step's time; no
sleeps), and the expected alarms afterwards: (kind, state, occurrences, cleared?).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from alarms import lifecycle
from alarms.choices import AlarmSource, AlarmState, EventKind
from alarms.models import Alarm, AlarmEvent, AppendOnlyError
from monitoring.choices import UpsState
from monitoring.models import Ups, UpsStatus
from monitoring.traps.events import TrapKind
from tests.alarms.conftest import DEAD, ON_BATTERY, ON_MAINS, SELF_TEST, TEST_FAILED, at
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

S = AlarmState
OB = "OnBattery"
Step = tuple[float, str, Any]  # (seconds, "poll" | "trap" | "ack", payload)

SCENARIOS: list[tuple[str, list[Step], list[tuple[str, str, int, bool]]]] = [
    (
        "raise then clear",
        [
            (0, "poll", ON_MAINS),
            (30, "poll", ON_BATTERY),
            (60, "poll", ON_BATTERY),
            (90, "poll", ON_MAINS),
        ],
        [(OB, S.CLEARED_UNACKED, 1, True)],
    ),
    (
        "repeat traps update one alarm, never open another",
        [
            (0, "poll", ON_MAINS),
            (5, "trap", (TrapKind.ON_BATTERY, OB)),
            (6, "poll", ON_BATTERY),
            (65, "trap", (TrapKind.ON_BATTERY, OB)),
            (125, "trap", (TrapKind.ON_BATTERY, OB)),
            (126, "poll", ON_BATTERY),
        ],
        [(OB, S.ACTIVE_UNACKED, 3, False)],
    ),
    (
        "flapping stays one episode",
        [
            (0, "poll", ON_BATTERY),
            (30, "poll", ON_MAINS),
            (40, "poll", ON_BATTERY),
            (50, "poll", ON_MAINS),
            (60, "poll", ON_BATTERY),
        ],
        [(OB, S.ACTIVE_UNACKED, 3, False)],
    ),
    (
        "a return after the flap window is a new episode",
        [(0, "poll", ON_BATTERY), (30, "poll", ON_MAINS), (120, "poll", ON_BATTERY)],
        [(OB, S.CLEARED_UNACKED, 1, True), (OB, S.ACTIVE_UNACKED, 1, False)],
    ),
    (
        "comm lost freezes, contact back reconciles",
        [
            (0, "poll", ON_BATTERY),
            (30, "poll", DEAD),
            (60, "poll", DEAD),
            (90, "poll", DEAD),
            (120, "poll", DEAD),
            (150, "poll", ON_MAINS),
        ],
        [(OB, S.CLEARED_UNACKED, 1, True), ("CommLost", S.CLEARED_UNACKED, 1, True)],
    ),
    (
        "self-test: no alarm",
        [
            (0, "poll", ON_MAINS),
            (30, "poll", SELF_TEST),
            (60, "poll", SELF_TEST),
            (90, "poll", ON_MAINS),
        ],
        [],
    ),
    (
        "failed self-test raises DiagnosticTestFailed",
        [(0, "poll", SELF_TEST), (30, "poll", TEST_FAILED)],
        [("DiagnosticTestFailed", S.ACTIVE_UNACKED, 1, False)],
    ),
    (
        "removal trap clears only after the confirming poll",
        [(0, "poll", ON_BATTERY), (10, "trap", (TrapKind.ALARM_REMOVED, OB))],
        [(OB, S.ACTIVE_UNACKED, 1, False)],
    ),
    (
        "... and the confirming poll clears",
        [
            (0, "poll", ON_BATTERY),
            (10, "trap", (TrapKind.ALARM_REMOVED, OB)),
            (11, "poll", ON_MAINS),
        ],
        [(OB, S.CLEARED_UNACKED, 1, True)],
    ),
    (
        "trap-raised alarm the re-poll does not confirm is cleared",
        [
            (0, "poll", ON_MAINS),
            (10, "trap", (TrapKind.ALARM_ADDED, "FanFailure")),
            (11, "poll", ON_MAINS),
        ],
        [("FanFailure", S.CLEARED_UNACKED, 1, True)],
    ),
    (
        "a poll that raced ahead of the trap does not clear it",
        [(0, "poll", ON_MAINS), (10, "trap", (TrapKind.ON_BATTERY, OB)), (9, "poll", ON_MAINS)],
        [(OB, S.ACTIVE_UNACKED, 1, False)],
    ),
    (
        "acknowledged then cleared",
        [(0, "poll", ON_BATTERY), (10, "ack", OB), (30, "poll", ON_MAINS)],
        [(OB, S.CLEARED, 1, True)],
    ),
    (
        "latched failed test held until acknowledged",
        [(0, "poll", TEST_FAILED), (30, "poll", ON_MAINS)],
        [("DiagnosticTestFailed", S.ACTIVE_UNACKED, 1, False)],
    ),
    (
        "... ack resets it",
        [(0, "poll", TEST_FAILED), (30, "poll", ON_MAINS), (40, "ack", "DiagnosticTestFailed")],
        [("DiagnosticTestFailed", S.CLEARED, 1, True)],
    ),
]


def run(steps: list[Step], ups: Ups, poll: Callable, trap: Callable) -> None:
    user = UserFactory.create(username="op", is_staff=True)
    for seconds, what, payload in steps:
        if what == "poll":
            poll(ups, seconds, payload)
        elif what == "trap":
            trap(ups, seconds, *payload)
        else:
            ids = Alarm.objects.filter(ups=ups, kind=payload).values_list("pk", flat=True)
            lifecycle.acknowledge(ids, user, "seen", now=at(seconds))


@pytest.mark.parametrize(
    ("steps", "expected"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS]
)
def test_scenario(
    steps: list[Step], expected: list[tuple], ups: Ups, poll: Callable, trap: Callable
) -> None:
    run(steps, ups, poll, trap)
    got = [
        (a.kind, a.state, a.occurrences, a.cleared_at is not None)
        for a in Alarm.objects.filter(ups=ups).order_by("raised_at", "id")
    ]
    assert got == [(k, str(s), n, c) for k, s, n, c in expected]


def test_comm_lost_marks_frozen_and_keeps_it_visible(ups: Ups, poll: Callable) -> None:
    poll(ups, 0, ON_BATTERY)
    for t in (30, 60, 90):
        poll(ups, t, DEAD)
    alarm = Alarm.objects.get(ups=ups, kind=OB)
    assert alarm.frozen
    assert alarm.cleared_at is None
    status = UpsStatus.objects.get(ups=ups)
    assert status.state == UpsState.COMM_LOST
    frozen = [c for c in status.conditions if c["kind"] == OB]
    assert frozen
    assert "frozen" in frozen[0]["reason"]
    poll(ups, 120, ON_BATTERY)
    alarm.refresh_from_db()
    assert not alarm.frozen
    assert alarm.cleared_at is None
    kinds = list(alarm.events.values_list("kind", flat=True))
    assert kinds == [EventKind.RAISED, EventKind.FROZEN, EventKind.UNFROZEN]


def test_self_test_is_recorded_as_test_events(ups: Ups, poll: Callable) -> None:
    poll(ups, 0, ON_MAINS)
    poll(ups, 30, SELF_TEST)
    poll(ups, 60, SELF_TEST)
    poll(ups, 90, ON_MAINS)
    kinds = list(AlarmEvent.objects.filter(ups=ups).values_list("kind", "condition"))
    assert kinds == [
        (EventKind.TEST_EVENT, OB),
        (EventKind.TEST_STARTED, "TestInProgress"),
        (EventKind.TEST_ENDED, "TestInProgress"),
    ]


def test_test_started_from_this_system_suppresses(ups: Ups, poll: Callable) -> None:
    poll(ups, 0, ON_MAINS)
    lifecycle.note_test_started(ups.pk, None, at(1))
    poll(ups, 30, ON_BATTERY)  # card does not report TestInProgress
    assert not Alarm.objects.filter(ups=ups).exists()
    assert AlarmEvent.objects.filter(ups=ups, kind=EventKind.TEST_EVENT).count() == 1


def test_trap_turns_the_light_amber_before_the_poll(
    ups: Ups, poll: Callable, trap: Callable
) -> None:
    poll(ups, 0, ON_MAINS)
    assert UpsStatus.objects.get(ups=ups).state == UpsState.OK
    trap(ups, 5, TrapKind.ON_BATTERY, OB)
    alarm = Alarm.objects.get(ups=ups)
    assert (alarm.source, alarm.last_trap_at) == (AlarmSource.TRAP, at(5))
    status = UpsStatus.objects.get(ups=ups)
    assert status.state == UpsState.WARNING
    assert [c["kind"] for c in status.conditions] == [OB]
    poll(ups, 6, ON_MAINS)  # the re-poll: back on mains already
    status.refresh_from_db()
    assert status.state == UpsState.OK
    assert status.conditions == []


def test_latched_alarm_keeps_the_light(ups: Ups, poll: Callable) -> None:
    poll(ups, 0, TEST_FAILED)
    poll(ups, 30, ON_MAINS)
    status = UpsStatus.objects.get(ups=ups)
    assert status.state == UpsState.WARNING
    assert "latched" in status.conditions[0]["reason"]


def test_chattering_is_tagged(ups: Ups, poll: Callable) -> None:
    for t, reading in [
        (0, ON_BATTERY),
        (10, ON_MAINS),
        (20, ON_BATTERY),
        (30, ON_MAINS),
        (40, ON_BATTERY),
    ]:
        poll(ups, t, reading)
    alarm = Alarm.objects.get(ups=ups)
    assert alarm.chattering
    assert alarm.events.filter(kind=EventKind.CHATTERING).count() == 1


def test_severity_escalation_is_an_event(ups: Ups, poll: Callable) -> None:
    from dataclasses import replace

    poll(ups, 0, replace(ON_BATTERY, runtime_remaining_s=500))  # LowRuntime warning
    poll(ups, 30, replace(ON_BATTERY, runtime_remaining_s=200))  # ... critical
    alarm = Alarm.objects.get(ups=ups, kind="LowRuntime")
    assert alarm.severity == "critical"
    assert alarm.events.filter(kind=EventKind.UPDATED).count() == 1
    assert alarm.occurrences == 1


def open_alarm_fields(ups: Ups) -> dict[str, Any]:
    """The fields of an open OnBattery alarm written straight to the table."""
    return {
        "ups": ups,
        "kind": OB,
        "severity": "warning",
        "message": "x",
        "source": "poll",
        "raised_at": at(0),
        "last_seen_at": at(0),
    }


def test_database_allows_one_open_alarm_per_ups_and_kind(ups: Ups) -> None:
    common = open_alarm_fields(ups)
    Alarm.objects.create(**common)
    Alarm.objects.create(**common | {"cleared_at": at(1), "state": S.CLEARED})
    with pytest.raises(IntegrityError), transaction.atomic():
        Alarm.objects.create(**common)


def test_constraint_message_is_readable(ups: Ups) -> None:
    from django.core.exceptions import ValidationError

    common = open_alarm_fields(ups)
    Alarm.objects.create(**common)
    with pytest.raises(ValidationError, match="already has an open alarm"):
        Alarm(**common).validate_constraints()


def test_events_are_append_only(ups: Ups, poll: Callable) -> None:
    poll(ups, 0, ON_BATTERY)
    event = AlarmEvent.objects.get()
    event.message = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_postgres_trigger_guards_the_log_but_lets_the_notifier_claim(
    ups: Ups, poll: Callable
) -> None:
    from django.db import DatabaseError, connection
    from django.utils import timezone

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    poll(ups, 0, ON_BATTERY)
    event = AlarmEvent.objects.get()
    claimed = AlarmEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(
        processed_at=timezone.now()
    )
    assert claimed == 1
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AlarmEvent.objects.filter(pk=event.pk).update(message="rewritten")
