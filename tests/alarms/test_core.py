"""The pure planner: rules as tables, a clock the test chooses, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alarms.choices import AlarmSource, AlarmState
from alarms.core import (
    Action,
    AlarmView,
    Observation,
    Policy,
    TrapAction,
    TrapHint,
    plan,
    plan_trap,
)
from monitoring.choices import ConditionKind as K
from monitoring.choices import Severity
from monitoring.status import Condition

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
S = AlarmState


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def cond(kind: K, severity: Severity | None = Severity.WARNING) -> Condition:
    return Condition(kind, severity, kind.label.lower())


ON_BATT = cond(K.ON_BATTERY)
LOW_RT = cond(K.LOW_RUNTIME, Severity.CRITICAL)
TESTING = cond(K.TEST_IN_PROGRESS, None)
LOST = cond(K.COMM_LOST, Severity.CRITICAL)
TEST_FAILED = cond(K.DIAGNOSTIC_TEST_FAILED)


def open_(kind: K, id: int = 1, **kw: object) -> AlarmView:
    return AlarmView(id=id, kind=kind, severity="warning", state=S.ACTIVE_UNACKED, **kw)  # type: ignore[arg-type]


def cleared(kind: K, when: float, id: int = 1, **kw: object) -> AlarmView:
    return AlarmView(
        id=id,
        kind=kind,
        severity="warning",
        state=S.CLEARED_UNACKED,
        cleared_at=at(when),
        **kw,  # type: ignore[arg-type]
    )


def obs(
    t: float, *conditions: Condition, previous: tuple[K, ...] = (), **kw: object
) -> Observation:
    return Observation(at(t), conditions, frozenset(previous), **kw)  # type: ignore[arg-type]


POLL_CASES = [
    # (id, alarms, observation, expected [(action, kind, alarm_id)])
    ("new condition raises", [], obs(0, ON_BATT), [(Action.RAISE, K.ON_BATTERY, None)]),
    (
        "still present updates",
        [open_(K.ON_BATTERY)],
        obs(30, ON_BATT),
        [(Action.UPDATE, K.ON_BATTERY, 1)],
    ),
    ("gone clears", [open_(K.ON_BATTERY)], obs(30), [(Action.CLEAR, K.ON_BATTERY, 1)]),
    (
        "flap within window re-opens",
        [cleared(K.ON_BATTERY, 0)],
        obs(45, ON_BATT),
        [(Action.REOPEN, K.ON_BATTERY, 1)],
    ),
    (
        "after the window raises anew",
        [cleared(K.ON_BATTERY, 0)],
        obs(61, ON_BATT),
        [(Action.RAISE, K.ON_BATTERY, None)],
    ),
    (
        "comm lost freezes the others",
        [open_(K.ON_BATTERY)],
        obs(30, LOST, reachable=False),
        [(Action.RAISE, K.COMM_LOST, None), (Action.FREEZE, K.ON_BATTERY, 1)],
    ),
    (
        "frozen stays frozen",
        [open_(K.ON_BATTERY, frozen=True), open_(K.COMM_LOST, id=2)],
        obs(60, LOST, reachable=False),
        [(Action.UPDATE, K.COMM_LOST, 2)],
    ),
    (
        "back in contact: unfreeze, reconcile",
        [open_(K.ON_BATTERY, frozen=True), open_(K.COMM_LOST, id=2)],
        obs(90),
        [
            (Action.UNFREEZE, K.ON_BATTERY, 1),
            (Action.CLEAR, K.ON_BATTERY, 1),
            (Action.CLEAR, K.COMM_LOST, 2),
        ],
    ),
    (
        "failed poll below threshold: nothing",
        [open_(K.ON_BATTERY)],
        obs(30, ON_BATT, reachable=False),
        [],
    ),
    (
        "self-test: on battery is a test event",
        [],
        obs(0, ON_BATT, TESTING, test_running=True),
        [(Action.TEST_EVENT, K.ON_BATTERY, None), (Action.INFO_STARTED, K.TEST_IN_PROGRESS, None)],
    ),
    (
        "self-test: recorded once",
        [],
        obs(30, ON_BATT, TESTING, previous=(K.ON_BATTERY, K.TEST_IN_PROGRESS), test_running=True),
        [],
    ),
    (
        "self-test ends",
        [],
        obs(60, previous=(K.ON_BATTERY, K.TEST_IN_PROGRESS)),
        [(Action.INFO_ENDED, K.TEST_IN_PROGRESS, None)],
    ),
    (
        "self-test does not hide a real low battery",
        [],
        obs(0, cond(K.LOW_BATTERY, Severity.CRITICAL), test_running=True),
        [(Action.RAISE, K.LOW_BATTERY, None)],
    ),
    (
        "self-test does not hide an alarm already open",
        [open_(K.ON_BATTERY)],
        obs(0, ON_BATT, test_running=True),
        [(Action.UPDATE, K.ON_BATTERY, 1)],
    ),
    (
        "failed test raises",
        [],
        obs(0, TEST_FAILED),
        [(Action.RAISE, K.DIAGNOSTIC_TEST_FAILED, None)],
    ),
    (
        "latched kind, unacked: held",
        [open_(K.DIAGNOSTIC_TEST_FAILED)],
        obs(30),
        [(Action.LATCH, K.DIAGNOSTIC_TEST_FAILED, 1)],
    ),
    (
        "latched kind, acked: clears",
        [AlarmView(1, K.DIAGNOSTIC_TEST_FAILED, "warning", S.ACTIVE_ACKED)],
        obs(30),
        [(Action.CLEAR, K.DIAGNOSTIC_TEST_FAILED, 1)],
    ),
    (
        "latched and held: nothing more",
        [open_(K.DIAGNOSTIC_TEST_FAILED, latched=True)],
        obs(60),
        [],
    ),
    (
        "trap-raised: a poll taken before the trap cannot clear",
        [open_(K.ON_BATTERY, source=AlarmSource.TRAP, last_trap_at=at(10))],
        obs(9),
        [],
    ),
    (
        "trap-raised: a poll taken after the trap clears",
        [open_(K.ON_BATTERY, source=AlarmSource.TRAP, last_trap_at=at(10))],
        obs(11),
        [(Action.CLEAR, K.ON_BATTERY, 1)],
    ),
]


@pytest.mark.parametrize(
    ("alarms", "observation", "expected"),
    [c[1:] for c in POLL_CASES],
    ids=[c[0] for c in POLL_CASES],
)
def test_plan(alarms: list[AlarmView], observation: Observation, expected: list[tuple]) -> None:
    got = [(t.action, t.kind, t.alarm_id) for t in plan(alarms, observation)]
    assert got == [(a, str(k), i) for a, k, i in expected]


def test_chattering_on_the_third_transition() -> None:
    # cleared at 0 after a clear at -20: the re-raise at 10 is the 3rd transition in 60 s
    alarm = cleared(K.ON_BATTERY, 0, transitions=(at(-20), at(0)))
    (t,) = plan([alarm], obs(10, ON_BATT))
    assert (t.action, t.chattering, t.count) == (Action.REOPEN, True, True)


def test_flap_window_is_a_setting() -> None:
    policy = Policy(flap_window=timedelta(seconds=10))
    (t,) = plan([cleared(K.ON_BATTERY, 0)], obs(30, ON_BATT), policy)
    assert t.action == Action.RAISE


def test_trap_confirm_grace() -> None:
    policy = Policy(trap_confirm_grace=timedelta(seconds=5))
    alarm = open_(K.ON_BATTERY, last_trap_at=at(10))
    assert plan([alarm], obs(12), policy) == []
    assert [t.action for t in plan([alarm], obs(15), policy)] == [Action.CLEAR]


def hint(t: float, action: TrapAction, kind: K | None, **kw: object) -> TrapHint:
    return TrapHint(at(t), action, None if kind is None else str(kind), **kw)  # type: ignore[arg-type]


TRAP_CASES = [
    (
        "on battery raises at once",
        [],
        hint(0, TrapAction.ASSERT, K.ON_BATTERY),
        [(Action.RAISE, K.ON_BATTERY, None, False)],
    ),
    (
        "repeat trap updates and counts",
        [open_(K.ON_BATTERY)],
        hint(60, TrapAction.ASSERT, K.ON_BATTERY),
        [(Action.UPDATE, K.ON_BATTERY, 1, True)],
    ),
    (
        "repeat trap on a frozen alarm counts, stays frozen",
        [open_(K.ON_BATTERY, frozen=True)],
        hint(60, TrapAction.ASSERT, K.ON_BATTERY),
        [(Action.UPDATE, K.ON_BATTERY, 1, True)],
    ),
    (
        "removal is only a hint",
        [open_(K.ON_BATTERY)],
        hint(60, TrapAction.REMOVED, K.ON_BATTERY),
        [(Action.REMOVAL_HINT, K.ON_BATTERY, 1, False)],
    ),
    ("removal of nothing open: nothing", [], hint(60, TrapAction.REMOVED, K.ON_BATTERY), []),
    (
        "on battery during a test: test event",
        [],
        hint(0, TrapAction.ASSERT, K.ON_BATTERY, test_running=True),
        [(Action.TEST_EVENT, K.ON_BATTERY, None, False)],
    ),
    (
        "flap by trap re-opens",
        [cleared(K.ON_BATTERY, 0)],
        hint(20, TrapAction.ASSERT, K.ON_BATTERY),
        [(Action.REOPEN, K.ON_BATTERY, 1, True)],
    ),
    (
        "informational kind: event only",
        [],
        hint(0, TrapAction.ASSERT, K.TEST_IN_PROGRESS),
        [(Action.INFO_STARTED, K.TEST_IN_PROGRESS, None, False)],
    ),
]


@pytest.mark.parametrize(
    ("alarms", "trap", "expected"), [c[1:] for c in TRAP_CASES], ids=[c[0] for c in TRAP_CASES]
)
def test_plan_trap(alarms: list[AlarmView], trap: TrapHint, expected: list[tuple]) -> None:
    got = [(t.action, t.kind, t.alarm_id, t.count) for t in plan_trap(alarms, trap)]
    assert got == [(a, str(k), i, c) for a, k, i, c in expected]


def test_trap_raise_is_trap_sourced_and_moves_last_trap_at() -> None:
    (t,) = plan_trap([], hint(0, TrapAction.ASSERT, K.ON_BATTERY))
    assert (t.source, t.trap, t.severity) == (AlarmSource.TRAP, True, Severity.WARNING)
