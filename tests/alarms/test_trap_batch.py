"""The batched trap path (`apply_trap_events`) against the per-UPS, per-trap reference
(`_apply_traps_of`, the path every trap took before batching).

Each scenario prepares a few UPSs (polls, a self-test started here, alarms), then hands a
batch of trap events to both paths from the same database state (the reference runs in
a savepoint that is rolled back) and compares everything they write: alarm rows, the
event log in order, the traffic lights and the returned count. Runs on SQLite and, with
DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from alarms import lifecycle
from alarms.choices import AlarmSource, AlarmState
from alarms.models import Alarm, AlarmEvent
from monitoring.choices import Severity
from monitoring.models import Ups, UpsStatus
from monitoring.traps.events import TrapEvent, TrapKind
from tests.alarms.conftest import ON_BATTERY, ON_MAINS, SELF_TEST, TEST_FAILED, at, trap_event
from tests.alarms.factories import OpenAlarmFactory
from tests.factories import UpsFactory

pytestmark = pytest.mark.django_db

OB = "OnBattery"
ON_BAT: tuple[TrapKind, str | None] = (TrapKind.ON_BATTERY, OB)
ADDED_OB: tuple[TrapKind, str | None] = (TrapKind.ALARM_ADDED, OB)
REMOVED_OB: tuple[TrapKind, str | None] = (TrapKind.ALARM_REMOVED, OB)
TEST_DONE: tuple[TrapKind, str | None] = (TrapKind.TEST_COMPLETED, None)

# Setup steps: (ups index, seconds, what, payload); what = "poll" | "test_started" |
# "alarm" (an open alarm from the factory, payload = its field overrides).
Setup = tuple[int, float, str, Any]
# Batch: (ups index, seconds, (TrapKind, alarm)) in the order the receiver hands them over.
Hint = tuple[TrapKind, str | None]
Batch = tuple[int, float, Hint]

SCENARIOS: list[tuple[str, int, list[Setup], list[Batch]]] = [
    ("first on-battery trap raises", 1, [(0, 0, "poll", ON_MAINS)], [(0, 5, ON_BAT)]),
    (
        "repeats in one batch collapse into one row update",
        1,
        [(0, 0, "poll", ON_MAINS)],
        [(0, 5, ON_BAT), (0, 5.02, ADDED_OB), (0, 6, ON_BAT), (0, 7, ON_BAT), (0, 8, ON_BAT)],
    ),
    (
        "traps update the alarm a poll opened",
        1,
        [(0, 0, "poll", ON_BATTERY)],
        [(0, 60, ON_BAT), (0, 61, ADDED_OB), (0, 120, ON_BAT)],
    ),
    (
        "out-of-order delivery within the batch",
        2,
        [(0, 0, "poll", ON_MAINS), (1, 0, "poll", ON_BATTERY)],
        [(0, 9, ON_BAT), (1, 8, ON_BAT), (0, 5, ADDED_OB), (1, 3, ON_BAT)],
    ),
    (
        "flap: a trap re-opens the alarm just cleared",
        1,
        [(0, 0, "poll", ON_BATTERY), (0, 10, "poll", ON_MAINS)],
        [(0, 20, ON_BAT), (0, 21, ON_BAT)],
    ),
    (
        "chattering: the third transition tags it",
        1,
        [
            (0, 0, "poll", ON_BATTERY),
            (0, 5, "poll", ON_MAINS),
            (0, 10, "poll", ON_BATTERY),
            (0, 15, "poll", ON_MAINS),
        ],
        [(0, 20, ON_BAT)],
    ),
    (
        "flap window over: a new episode",
        1,
        [(0, 0, "poll", ON_BATTERY), (0, 10, "poll", ON_MAINS)],
        [(0, 200, ON_BAT)],
    ),
    (
        "removal traps are notes; the poll clears",
        2,
        [(0, 0, "poll", ON_BATTERY), (1, 0, "poll", ON_MAINS)],
        [(0, 30, REMOVED_OB), (1, 30, REMOVED_OB), (0, 31, ON_BAT)],
    ),
    (
        "raise then removal in one batch",
        1,
        [(0, 0, "poll", ON_MAINS)],
        [(0, 5, ADDED_OB), (0, 6, REMOVED_OB)],
    ),
    (
        "self-test reported by the UPS: test events, no alarm",
        1,
        [(0, 0, "poll", SELF_TEST)],
        [(0, 5, ON_BAT), (0, 6, ON_BAT)],
    ),
    (
        "self-test started here, its completion mid-batch ends the suppression",
        1,
        [(0, 0, "poll", ON_MAINS), (0, 1, "test_started", None)],
        [(0, 5, ON_BAT), (0, 6, TEST_DONE), (0, 7, ON_BAT), (0, 8, ON_BAT)],
    ),
    (
        "self-test started here, and still running",
        2,
        [(0, 0, "poll", ON_MAINS), (0, 1, "test_started", None), (1, 0, "poll", ON_MAINS)],
        [(0, 5, ON_BAT), (1, 5, ON_BAT), (0, 6, ON_BAT)],
    ),
    (
        "TestInProgress trap is informational",
        1,
        [(0, 0, "poll", ON_MAINS)],
        [(0, 5, (TrapKind.ALARM_ADDED, "TestInProgress")), (0, 6, ON_BAT)],
    ),
    (
        "latched alarm: the trap brings it back before the reset",
        1,
        [(0, 0, "poll", TEST_FAILED), (0, 30, "poll", ON_MAINS)],
        [(0, 40, (TrapKind.ALARM_ADDED, "DiagnosticTestFailed"))],
    ),
    (
        "severity differs from the open alarm's: an update event",
        1,
        [(0, -30, "alarm", {"kind": OB, "severity": Severity.CRITICAL})],
        [(0, 5, ON_BAT), (0, 6, ON_BAT)],
    ),
    (
        "frozen alarm stays frozen; other kinds raise",
        1,
        [(0, -30, "alarm", {"kind": OB, "frozen": True})],
        [(0, 5, ON_BAT), (0, 5, (TrapKind.ALARM_ADDED, "LowBattery"))],
    ),
    (
        "UPS never polled: no status row yet",
        2,
        [(1, 0, "poll", ON_MAINS)],
        [(0, 5, ON_BAT), (1, 5, ON_BAT), (0, 6, ADDED_OB)],
    ),
    (
        "other and unknown alarms do nothing",
        1,
        [(0, 0, "poll", ON_MAINS)],
        [(0, 5, (TrapKind.OTHER, None)), (0, 6, (TrapKind.ALARM_ADDED, None))],
    ),
    (
        "regional mains failure: many UPSs at once",
        12,
        [(i, 0, "poll", ON_MAINS) for i in range(12)],
        [(i, 1 + i / 100, ON_BAT) for i in range(12)]
        + [(i, 1.02 + i / 100, ADDED_OB) for i in reversed(range(12))]
        + [(i, 2 + i / 100, ON_BAT) for i in range(0, 12, 3)],
    ),
]


def prepare(count: int, setup: list[Setup], poll: Callable) -> list[Ups]:
    upss = [UpsFactory.create(name=f"ups-{i}") for i in range(count)]
    for i, seconds, what, payload in setup:
        if what == "poll":
            poll(upss[i], seconds, payload)
        elif what == "test_started":
            lifecycle.note_test_started(upss[i].pk, None, at(seconds))
        else:
            OpenAlarmFactory(
                ups=upss[i], raised_at=at(seconds), last_seen_at=at(seconds), **payload
            )
    return upss


def events_of(upss: list[Ups], batch: list[Batch]) -> list[TrapEvent]:
    return [trap_event(upss[i], seconds, kind, alarm) for i, seconds, (kind, alarm) in batch]


def reference(events: list[TrapEvent]) -> int:
    """What `apply_trap_events` did before batching: per UPS, per trap."""
    pol = lifecycle.policy()
    by_ups: dict[int, list[TrapEvent]] = defaultdict(list)
    for e in events:
        by_ups[e.ups_id].append(e)
    return sum(
        lifecycle._apply_traps_of(u, sorted(b, key=lambda e: e.received_at), pol)
        for u, b in by_ups.items()
    )


def snapshot() -> dict[str, Any]:
    """Everything both paths write, with ids replaced by what they stand for (a rolled
    back savepoint does not give sequence numbers back)."""
    alarms = list(Alarm.objects.order_by("ups__name", "raised_at", "kind"))
    name = {a.pk: (a.ups.name, a.kind, a.raised_at) for a in alarms}
    skip = {"id", "ups"}
    rows = [
        {f.name: getattr(a, f.attname) for f in Alarm._meta.concrete_fields if f.name not in skip}
        | {"ups": a.ups.name}
        for a in alarms
    ]
    log = [
        (e.ups.name, name.get(e.alarm_id or 0), e.at, e.kind, e.condition, e.message, e.data)
        for e in AlarmEvent.objects.order_by("id")
    ]
    lights = [
        (s.ups.name, s.state, s.state_since, s.conditions)
        for s in UpsStatus.objects.order_by("ups__name")
    ]
    return {"alarms": rows, "events": log, "status": lights}


class _Rollback(Exception):
    pass


def run_reference(events: list[TrapEvent]) -> tuple[int, dict[str, Any]]:
    result: tuple[int, dict[str, Any]] | None = None
    try:
        with transaction.atomic():
            done = reference(events)
            result = (done, snapshot())
            raise _Rollback
    except _Rollback:
        pass
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("count", "setup", "batch"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS]
)
def test_batched_equals_per_trap(
    count: int,
    setup: list[Setup],
    batch: list[Batch],
    poll: Callable,
    django_capture_on_commit_callbacks: Any,
) -> None:
    upss = prepare(count, setup, poll)
    events = events_of(upss, batch)
    before = snapshot()
    want_done, want = run_reference(events)
    assert snapshot() == before  # the reference left no trace
    with django_capture_on_commit_callbacks(execute=True):
        done = lifecycle.apply_trap_events(events)
    assert (done, snapshot()) == (want_done, want)


def test_repeats_collapse_into_one_update_per_alarm(ups: Ups, poll: Callable) -> None:
    poll(ups, 0, ON_BATTERY)
    events = [trap_event(ups, 60 + n, *ON_BAT) for n in range(10)]
    with CaptureQueriesContext(connection) as ctx:
        assert lifecycle.apply_trap_events(events) == 10
    alarm = Alarm.objects.get(ups=ups)
    assert (alarm.occurrences, alarm.last_seen_at, alarm.last_trap_at) == (11, at(69), at(69))
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert len([q for q in updates if "alarms_alarm" in q]) == 1
    assert AlarmEvent.objects.filter(alarm=alarm, kind="repeated").count() == 10


@pytest.mark.parametrize("per_ups", [1, 4])
def test_queries_do_not_grow_with_the_batch(poll: Callable, per_ups: int) -> None:
    upss = [UpsFactory.create(name=f"ups-{i}") for i in range(20)]
    for n, u in enumerate(upss):
        poll(u, 0, ON_BATTERY if n % 2 else ON_MAINS)  # half update, half raise
    events = [
        trap_event(u, 60 + n, *(ADDED_OB if n % 2 else ON_BAT))
        for n in range(per_ups)
        for u in upss
    ]
    with CaptureQueriesContext(connection) as ctx:
        lifecycle.apply_trap_events(events)
    # savepoint, lock, alarms, test events, alarm insert, alarm update, event insert,
    # status update, release: the same for 20 traps as for 80. The console push comes
    # after the commit (not run here).
    assert len(ctx.captured_queries) <= 10, "\n".join(q["sql"][:60] for q in ctx.captured_queries)
    assert Alarm.objects.filter(cleared_at__isnull=True).count() == 20


def test_status_rows_are_locked_at_once_in_ups_order(poll: Callable) -> None:
    upss = [UpsFactory.create(name=f"ups-{i}") for i in range(3)]
    for u in upss:
        poll(u, 0, ON_MAINS)
    events = [trap_event(u, 5, *ON_BAT) for u in reversed(upss)]
    with CaptureQueriesContext(connection) as ctx:
        lifecycle.apply_trap_events(events)
    locks = [q["sql"] for q in ctx.captured_queries if "monitoring_upsstatus" in q["sql"]]
    first = locks[0]
    assert first.startswith("SELECT")
    assert "ORDER BY" in first
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in first
    assert not [q for q in locks[1:] if q.startswith("SELECT")]  # no per-UPS re-reads


def test_a_failed_batch_is_replayed_per_ups(
    poll: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent writer raised the alarm first (unique open alarm per UPS and kind):
    the batch rolls back whole and the per-UPS path turns the raise into an update."""
    upss = [UpsFactory.create(name=f"ups-{i}") for i in range(2)]
    for u in upss:
        poll(u, 0, ON_MAINS)
    events = [trap_event(u, 5, *ON_BAT) for u in upss]
    real = lifecycle._apply_trap_batch

    def racing(batches: Any, pol: Any) -> int:
        real(batches, pol)  # written, then the race is lost: all of it must roll back
        raise IntegrityError("alarm_one_open_per_ups_kind")

    monkeypatch.setattr(lifecycle, "_apply_trap_batch", racing)
    assert lifecycle.apply_trap_events(events) == 2
    alarms = Alarm.objects.order_by("ups__name")
    assert [(a.ups.name, a.occurrences, a.source) for a in alarms] == [
        ("ups-0", 1, AlarmSource.TRAP),
        ("ups-1", 1, AlarmSource.TRAP),
    ]
    assert AlarmEvent.objects.filter(kind="raised").count() == 2
    assert all(a.state == AlarmState.ACTIVE_UNACKED for a in alarms)
