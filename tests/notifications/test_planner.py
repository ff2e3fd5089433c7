"""The pure planner, table-driven with a hand-set clock: no database, no sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.choices import Severity
from notifications.choices import Event, Trigger
from notifications.planner import (
    AlarmFacts,
    RuleSpec,
    StepSpec,
    TargetSpec,
    WindowSpec,
    digest_slots,
    plan,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ALICE = TargetSpec(recipient_id=1, channel_id=10)
BOSS = TargetSpec(recipient_id=2, channel_id=10, level=1)
CHIEF = TargetSpec(recipient_id=3, channel_id=10, level=2)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def alarm(**kw: object) -> AlarmFacts:
    base: dict[str, object] = {
        "id": 7,
        "ups_id": 1,
        "site_id": 1,
        "region_id": None,
        "kind": "OnBattery",
        "severity": Severity.WARNING,
        "raised_at": T0,
    }
    return AlarmFacts(**(base | kw))  # type: ignore[arg-type]


def rule(*steps: StepSpec, targets: tuple[TargetSpec, ...] = (ALICE,), **kw: object) -> RuleSpec:
    return RuleSpec(id=1, steps=steps, targets=targets, active_since=T0 - timedelta(days=1), **kw)  # type: ignore[arg-type]


IMMEDIATE = StepSpec(1, Trigger.IMMEDIATE)
STILL_30 = StepSpec(2, Trigger.STILL_ACTIVE, 30)
REPEAT_60_X3 = StepSpec(3, Trigger.REPEAT, 60, 3)
BATTERY_300 = StepSpec(4, Trigger.ON_BATTERY_FOR, 300)
RUNTIME_600 = StepSpec(5, Trigger.RUNTIME_BELOW, 600)
CLEAR = StepSpec(6, Trigger.ON_CLEAR)


def events(dues: list) -> list[tuple[str, float, int]]:
    return [(d.event.value, (d.due_at - T0).total_seconds(), d.occurrence) for d in dues]


# (name, step, alarm facts, now (s after T0), expected (event, due at s, occurrence))
TIMING_CASES = [
    ("immediate", IMMEDIATE, {}, 0, [("raised", 0, 0)]),
    ("immediate after a short blip", IMMEDIATE, {"cleared_at": s(5)}, 10, [("raised", 0, 0)]),
    ("still active: not yet", STILL_30, {}, 29, []),
    ("still active: due", STILL_30, {}, 30, [("still_active", 30, 0)]),
    ("still active: blip swallowed", STILL_30, {"cleared_at": s(12)}, 100, []),
    (
        "still active: planner late, alarm gone after",
        STILL_30,
        {"cleared_at": s(40)},
        100,
        [("still_active", 30, 0)],
    ),
    ("repeat: none before the period", REPEAT_60_X3, {}, 59, []),
    ("repeat: first", REPEAT_60_X3, {}, 60, [("repeat", 60, 1)]),
    ("repeat: latest only when late", REPEAT_60_X3, {}, 150, [("repeat", 120, 2)]),
    ("repeat: limit", REPEAT_60_X3, {}, 3600, [("repeat", 180, 3)]),
    ("repeat: stops at clear", REPEAT_60_X3, {"cleared_at": s(120)}, 3600, [("repeat", 60, 1)]),
    ("repeat: stops at ack", REPEAT_60_X3, {"acknowledged_at": s(90)}, 3600, [("repeat", 60, 1)]),
    ("on battery 300 s: not yet", BATTERY_300, {"on_battery_since": s(-20)}, 279, []),
    (
        "on battery 300 s: from transfer",
        BATTERY_300,
        {"on_battery_since": s(-20)},
        280,
        [("on_battery", 280, 0)],
    ),
    ("on battery: back on mains", BATTERY_300, {"on_battery_since": None}, 900, []),
    (
        "runtime below 600: above",
        RUNTIME_600,
        {"runtime_remaining_s": 900, "reading_at": s(30)},
        30,
        [],
    ),
    (
        "runtime below 600: below",
        RUNTIME_600,
        {"runtime_remaining_s": 540, "reading_at": s(30)},
        30,
        [("runtime_low", 30, 0)],
    ),
    ("clear without anything told", CLEAR, {"cleared_at": s(50)}, 60, []),
]


@pytest.mark.parametrize(
    ("name", "step", "facts", "now", "expected"), TIMING_CASES, ids=[c[0] for c in TIMING_CASES]
)
def test_timing_table(name: str, step: StepSpec, facts: dict, now: float, expected: list) -> None:
    assert events(plan([alarm(**facts)], [rule(step)], s(now))) == expected


def test_clear_follows_what_was_told_and_keys_are_stable() -> None:
    r = rule(IMMEDIATE, CLEAR)
    first = plan([alarm()], [r], s(0))
    assert events(first) == [("raised", 0, 0)]
    keys = {d.key for d in first}
    assert plan([alarm()], [r], s(5), existing=keys) == []  # planning again adds nothing
    cleared = plan([alarm(cleared_at=s(40))], [r], s(41), existing=keys)
    assert events(cleared) == [("cleared", 40, 0)]
    assert cleared[0].key == "a7.r1.s6.0.p1.c10"


def test_short_alarm_seen_late_gets_raise_then_clear_in_one_pass() -> None:
    dues = plan([alarm(cleared_at=s(3))], [rule(IMMEDIATE, CLEAR)], s(10))
    assert events(dues) == [("raised", 0, 0), ("cleared", 3, 0)]


# (name, alarm facts, now, expected recipients of escalations)
ESCALATION_CASES = [
    ("before the first level", {}, 299, []),
    ("level 1 at 5 min", {}, 300, [2]),
    ("both levels", {}, 600, [2, 3]),
    ("acked before level 1", {"acknowledged_at": s(200)}, 900, []),
    ("acked between levels", {"acknowledged_at": s(400)}, 900, [2]),
    ("cleared before level 1", {"cleared_at": s(100)}, 900, []),
]


@pytest.mark.parametrize(
    ("name", "facts", "now", "expected"), ESCALATION_CASES, ids=[c[0] for c in ESCALATION_CASES]
)
def test_escalation(name: str, facts: dict, now: float, expected: list[int]) -> None:
    r = rule(IMMEDIATE, targets=(ALICE, BOSS, CHIEF), escalate_after_s=300)
    dues = [d for d in plan([alarm(**facts)], [r], s(now)) if d.event == Event.ESCALATION]
    assert [d.recipient_id for d in dues] == expected


def test_escalated_recipient_also_hears_the_clear() -> None:
    r = rule(IMMEDIATE, CLEAR, targets=(ALICE, BOSS), escalate_after_s=300)
    told = {d.key for d in plan([alarm()], [r], s(300))}
    dues = plan([alarm(cleared_at=s(400))], [r], s(400), existing=told)
    assert sorted(d.recipient_id for d in dues) == [1, 2]


# (name, rule selection, alarm facts, matches?)
SELECTION_CASES = [
    ("all", {}, {}, True),
    ("min severity critical vs warning", {"min_severity": Severity.CRITICAL}, {}, False),
    ("min severity warning vs critical", {}, {"severity": Severity.CRITICAL}, True),
    ("kinds", {"kinds": frozenset({"LowBattery"})}, {}, False),
    ("ups", {"ups_ids": frozenset({1})}, {}, True),
    ("other site", {"site_ids": frozenset({2})}, {}, False),
    ("region", {"region_ids": frozenset({5})}, {"region_id": 5}, True),
]


@pytest.mark.parametrize(
    ("name", "selection", "facts", "matches"), SELECTION_CASES, ids=[c[0] for c in SELECTION_CASES]
)
def test_selection(name: str, selection: dict, facts: dict, matches: bool) -> None:
    assert bool(plan([alarm(**facts)], [rule(IMMEDIATE, **selection)], s(0))) is matches


def test_rule_written_later_does_not_page_about_old_alarms() -> None:
    r = RuleSpec(id=1, steps=(IMMEDIATE,), targets=(ALICE,), active_since=s(60))
    assert plan([alarm()], [r], s(120)) == []


# (name, window, held?)
MAINTENANCE_CASES = [
    ("site window covers", WindowSpec(1, s(-60), s(600), "works", site_id=1), True),
    ("ups window covers", WindowSpec(1, s(-60), s(600), "works", ups_id=1), True),
    ("other ups", WindowSpec(1, s(-60), s(600), "works", ups_id=2), False),
    ("ended before", WindowSpec(1, s(-600), s(-1), "works", site_id=1), False),
    ("starts after", WindowSpec(1, s(1), s(600), "works", site_id=1), False),
]


@pytest.mark.parametrize(
    ("name", "window", "held"), MAINTENANCE_CASES, ids=[c[0] for c in MAINTENANCE_CASES]
)
def test_maintenance(name: str, window: WindowSpec, held: bool) -> None:
    (due,) = plan([alarm()], [rule(IMMEDIATE)], s(0), windows=[window])
    assert bool(due.held_reason) is held
    assert due.held_reason in ("", "maintenance: works")


def test_digest_slots_group_per_recipient_and_channel() -> None:
    r = rule(IMMEDIATE, targets=(ALICE, TargetSpec(2, 10)), storm_control=True)
    alarms = [
        alarm(id=i, ups_id=i, severity=Severity.CRITICAL if i == 3 else Severity.WARNING)
        for i in range(1, 6)
    ]
    dues = plan(alarms, [r], s(0))
    slots = digest_slots(dues, {}, {1: 60, 2: 0}, s(0))
    by_recipient = {(d.recipient_id, d.alarm_id): (slots[d.key] - T0).total_seconds() for d in dues}
    # alice: warnings wait for the window, the critical one leaves at once; recipient 2
    # has storm control off (window 0).
    assert by_recipient == {
        (1, 1): 60,
        (1, 2): 60,
        (1, 3): 0,
        (1, 4): 60,
        (1, 5): 60,
        (2, 1): 0,
        (2, 2): 0,
        (2, 3): 0,
        (2, 4): 0,
        (2, 5): 0,
    }
    # A group already open: new rows join it instead of opening another.
    assert set(digest_slots(dues[:1], {(1, 10): s(30)}, {1: 60}, s(10)).values()) == {s(30)}
