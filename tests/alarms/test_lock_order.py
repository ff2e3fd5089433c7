"""Lock order: every writer takes a UPS's status row before its alarm rows.

The recorder, the poll's alarm step and the trap batch lock `UpsStatus` first (the trap
batch all its UPSs' rows at once, in ups_id order), then write alarms. `acknowledge` must
do the same: locking the alarm rows first and the status row only when `sync_status`
writes it (a latched alarm reset by its acknowledgement) deadlocks with a trap batch that
holds the status row and updates that alarm.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from alarms import lifecycle
from alarms.models import Alarm
from monitoring.choices import ConditionKind, UpsState
from monitoring.models import Ups, UpsStatus
from monitoring.traps.events import TrapKind
from tests.alarms.conftest import at, trap_event
from tests.alarms.factories import OpenAlarmFactory
from tests.factories import UpsFactory

OUTPUT_OFF = ConditionKind.UPS_OUTPUT_OFF  # a latched kind


def _latched_alarm(ups: Ups) -> Alarm:
    """An output-off alarm whose condition has gone, held until acknowledged, and the
    light that follows it (so the reset by ack writes the status row)."""
    UpsStatus.objects.create(ups=ups, state=UpsState.OK, state_since=at(0), conditions=[])
    alarm = OpenAlarmFactory.create(
        ups=ups, kind=OUTPUT_OFF, severity="critical", latched=True, raised_at=at(0)
    )
    lifecycle.sync_status(ups.pk, at(1))
    assert UpsStatus.objects.get(ups=ups).state == UpsState.CRITICAL
    return alarm


@pytest.mark.django_db
def test_acknowledge_locks_the_status_rows_before_the_alarms() -> None:
    upss = [UpsFactory.create(name=f"ups-{i}") for i in range(3)]
    alarms = [_latched_alarm(u) for u in reversed(upss)]
    with CaptureQueriesContext(connection) as ctx:
        assert lifecycle.acknowledge([a.pk for a in alarms], None, now=at(10)) == 3
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT")]
    status_lock = next(i for i, q in enumerate(selects) if "monitoring_upsstatus" in q)
    alarm_lock = next(  # the rows themselves (all columns), not the ups_id look-up
        i for i, q in enumerate(selects) if '"alarms_alarm"."acknowledged_at"' in q
    )
    assert status_lock < alarm_lock
    assert "ORDER BY" in selects[status_lock]
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in selects[status_lock]
        assert "FOR UPDATE" in selects[alarm_lock]
    assert all(s.state == UpsState.OK for s in UpsStatus.objects.all())


@pytest.mark.django_db(transaction=True)
def test_acknowledge_and_a_trap_batch_on_the_same_ups_both_complete(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two threads, two connections: the ack holds its locks and waits at the moment it
    writes the light, while a trap batch updating the same latched alarm starts. With the
    old order (alarm rows, then the status row) the trap held the status row and waited
    for the alarm, the ack waited for the status row: PostgreSQL killed one of them."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and deadlock detection: PostgreSQL (DATABASE_URL)")
    ups = UpsFactory.create(name="ups-a")
    alarm = _latched_alarm(ups)

    ack_holds_locks = threading.Event()
    trap_started = threading.Event()
    replayed: list[int] = []
    errors: list[BaseException] = []
    results: dict[str, Any] = {}

    real_sync = lifecycle.sync_status

    def sync_after_the_trap_started(ups_id: int, now: Any) -> None:
        if threading.current_thread().name == "ack":
            ack_holds_locks.set()
            trap_started.wait(10)
            # Give the trap batch time to block on (old order: to take) the status row.
            threading.Event().wait(0.5)
        real_sync(ups_id, now)

    real_replay = lifecycle._apply_traps_of

    def spy_replay(ups_id: int, batch: Any, pol: Any) -> int:
        replayed.append(ups_id)
        return real_replay(ups_id, batch, pol)

    monkeypatch.setattr(lifecycle, "sync_status", sync_after_the_trap_started)
    monkeypatch.setattr(lifecycle, "_apply_traps_of", spy_replay)

    def in_thread(name: str, job: Callable[[], Any]) -> threading.Thread:
        def run() -> None:
            try:
                results[name] = job()
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        return thread

    def trap() -> int:
        assert ack_holds_locks.wait(10)
        trap_started.set()
        return lifecycle.apply_trap_events(
            [trap_event(ups, 20, TrapKind.ALARM_ADDED, str(OUTPUT_OFF))]
        )

    threads = [
        in_thread("ack", lambda: lifecycle.acknowledge([alarm.pk], None, now=at(10))),
        in_thread("trap", trap),
    ]
    for thread in threads:
        thread.join(30)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    assert errors == []
    assert results["ack"] == 1
    assert results["trap"] >= 1
    assert replayed == [], "the trap batch failed (deadlock) and was replayed per UPS"
    # Both are in: the ack reset the alarm, the trap (within the flap window) re-opened it.
    alarm.refresh_from_db()
    assert alarm.acknowledged_at == at(10)
    assert alarm.cleared_at is None
    assert alarm.last_trap_at == at(20)
    assert UpsStatus.objects.get(ups=ups).state == UpsState.CRITICAL
