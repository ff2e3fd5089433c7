"""The alarm lifecycle as pure functions: what is known + what was observed + the clock
→ a list of transitions. No Django models, no I/O, no `timezone.now()`: tests drive it
with plain data and a clock they choose (docs/alarms.md has the rules in prose).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from alarms.choices import AlarmSource, AlarmState
from monitoring.choices import ConditionKind, Severity
from monitoring.status import ALARM_SEVERITY, Condition

K = ConditionKind


@dataclass(frozen=True, slots=True)
class Policy:
    """Lifecycle knobs; `alarms.lifecycle.policy()` builds it from settings."""

    # A condition that clears and comes back within this window stays one episode.
    flap_window: timedelta = timedelta(seconds=60)
    # >= this many clear/re-raise transitions within the window: tagged "chattering".
    chatter_transitions: int = 3
    chatter_window: timedelta = timedelta(seconds=60)
    # Kinds that need an inspection: they stay active after the condition goes until
    # someone acknowledges them (ISA-18.2 latched).
    latched_kinds: frozenset[str] = frozenset(
        {K.DIAGNOSTIC_TEST_FAILED, K.UPS_OUTPUT_OFF, K.UPS_SYSTEM_OFF}
    )
    # Expected during a battery self-test: recorded as test events, not raised.
    test_suppressed_kinds: frozenset[str] = frozenset({K.ON_BATTERY, K.LOW_RUNTIME, K.LOW_CHARGE})
    # A poll must be taken at least this long after the last raising trap to clear it.
    trap_confirm_grace: timedelta = timedelta(0)


DEFAULT_POLICY = Policy()


@dataclass(frozen=True, slots=True)
class AlarmView:
    """What the planner needs to know of one stored alarm (open, or recently cleared)."""

    id: int
    kind: str
    severity: str
    state: AlarmState
    source: AlarmSource = AlarmSource.POLL
    cleared_at: datetime | None = None
    frozen: bool = False
    latched: bool = False
    chattering: bool = False
    last_trap_at: datetime | None = None
    transitions: tuple[datetime, ...] = ()
    message: str = ""

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


@dataclass(frozen=True, slots=True)
class Observation:
    """One recorded poll as the lifecycle sees it.

    `conditions` are the poll's (plus DiagnosticTestFailed when the last test failed);
    `previous_kinds` are those of the poll before, so that events recorded without an
    alarm (test events, informational conditions) are written once per appearance.
    """

    taken_at: datetime
    conditions: tuple[Condition, ...]
    previous_kinds: frozenset[str] = frozenset()
    reachable: bool = True
    test_running: bool = False

    @property
    def comm_lost(self) -> bool:
        return any(c.kind == K.COMM_LOST for c in self.conditions)


class TrapAction(StrEnum):
    ASSERT = "assert"  # the condition is reported (on battery, alarm entry added)
    REMOVED = "removed"  # alarm entry removed: a hint, the confirming poll decides
    TEST_COMPLETED = "test_completed"


@dataclass(frozen=True, slots=True)
class TrapHint:
    at: datetime
    action: TrapAction
    kind: str | None  # a ConditionKind value; None for test_completed
    message: str = ""
    test_running: bool = False
    data: dict[str, Any] = field(default_factory=dict)


class Action(StrEnum):
    RAISE = "raise"
    UPDATE = "update"  # still present: last seen, severity/message; `count` bumps occurrences
    CLEAR = "clear"
    REOPEN = "reopen"  # flap: the just-cleared alarm of this kind becomes open again
    LATCH = "latch"  # latched kind back to normal, held active until reset by an ack
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"
    REMOVAL_HINT = "removal_hint"
    TEST_EVENT = "test_event"  # a test-suppressed condition during a self-test
    INFO_STARTED = "info_started"  # an informational (severity None) condition appeared
    INFO_ENDED = "info_ended"
    TEST_COMPLETED = "test_completed"


@dataclass(frozen=True, slots=True)
class Transition:
    action: Action
    kind: str
    at: datetime
    alarm_id: int | None = None
    severity: str | None = None
    message: str = ""
    source: AlarmSource = AlarmSource.POLL
    count: bool = False  # one more occurrence (repeat trap, flap, latched return)
    trap: bool = False  # caused by a raising trap: moves last_trap_at
    chattering: bool = False  # this transition makes the alarm chattering
    data: dict[str, Any] = field(default_factory=dict)


def severity_of(kind: str) -> Severity | None:
    return ALARM_SEVERITY.get(ConditionKind(kind)) if kind in ConditionKind.values else None


def recent_transitions(alarm: AlarmView, now: datetime, policy: Policy) -> tuple[datetime, ...]:
    """The alarm's clear/re-raise times within the chatter window, plus `now`."""
    since = now - policy.chatter_window
    return (*(t for t in alarm.transitions if t >= since), now)


def _chatters(alarm: AlarmView, now: datetime, policy: Policy) -> bool:
    return not alarm.chattering and (
        len(recent_transitions(alarm, now, policy)) >= policy.chatter_transitions
    )


def _flap_candidates(
    alarms: Iterable[AlarmView], now: datetime, policy: Policy
) -> dict[str, AlarmView]:
    """The latest alarm of each kind cleared within the flap window."""
    found: dict[str, AlarmView] = {}
    for a in alarms:
        if a.cleared_at is None or a.latched or now - a.cleared_at > policy.flap_window:
            continue
        best = found.get(a.kind)
        if best is None or (best.cleared_at or now) < a.cleared_at:
            found[a.kind] = a
    return found


def _assert(
    kind: str,
    severity: str,
    message: str,
    now: datetime,
    open_alarm: AlarmView | None,
    flap: AlarmView | None,
    policy: Policy,
    *,
    source: AlarmSource,
    repeat: bool,
) -> Transition:
    """The condition is present: update the open alarm, re-open a flap, or raise."""
    trap = source == AlarmSource.TRAP
    if open_alarm is not None:
        if open_alarm.latched:
            # Back before the reset: same episode, one more occurrence.
            return Transition(
                Action.UPDATE,
                kind,
                now,
                open_alarm.id,
                severity,
                message,
                source,
                True,
                trap,
                data={"unlatched": True},
            )
        return Transition(
            Action.UPDATE, kind, now, open_alarm.id, severity, message, source, repeat, trap
        )
    if flap is not None:
        return Transition(
            Action.REOPEN,
            kind,
            now,
            flap.id,
            severity,
            message,
            source,
            True,
            trap,
            chattering=_chatters(flap, now, policy),
        )
    return Transition(Action.RAISE, kind, now, None, severity, message, source, False, trap)


def plan(
    alarms: Sequence[AlarmView], obs: Observation, policy: Policy = DEFAULT_POLICY
) -> list[Transition]:
    """Reconcile the alarms of one UPS with one recorded poll.

    `alarms`: its open alarms and those cleared within the flap window.
    """
    now = obs.taken_at
    if not obs.reachable and not obs.comm_lost:
        # A failed poll below the comm-lost threshold: the assessment is the old one
        # carried over, nothing new is known.
        return []
    present = {str(c.kind): c for c in obs.conditions}
    open_by_kind = {a.kind: a for a in alarms if a.is_open}
    flaps = _flap_candidates(alarms, now, policy)
    out: list[Transition] = []

    if not obs.comm_lost:
        # Contact is back (or never lost): frozen alarms rejoin the reconciliation.
        out += [
            Transition(Action.UNFREEZE, a.kind, now, a.id)
            for a in open_by_kind.values()
            if a.frozen
        ]

    for kind, cond in present.items():
        if cond.severity is None:
            if kind not in obs.previous_kinds:
                out.append(Transition(Action.INFO_STARTED, kind, now, message=cond.reason))
            continue
        open_alarm = open_by_kind.get(kind)
        if open_alarm is None and obs.test_running and kind in policy.test_suppressed_kinds:
            if kind not in obs.previous_kinds:
                out.append(
                    Transition(
                        Action.TEST_EVENT, kind, now, severity=cond.severity, message=cond.reason
                    )
                )
            continue
        out.append(
            _assert(
                kind,
                cond.severity,
                cond.reason,
                now,
                open_alarm,
                flaps.get(kind),
                policy,
                source=AlarmSource.POLL,
                repeat=False,
            )
        )

    if obs.comm_lost:
        # Stale data must neither clear nor raise: freeze what is open.
        out += [
            Transition(Action.FREEZE, a.kind, now, a.id)
            for a in open_by_kind.values()
            if a.kind not in present and not a.frozen
        ]
        return out

    out += [
        Transition(Action.INFO_ENDED, kind, now)
        for kind in sorted(obs.previous_kinds - present.keys())
        if kind in ConditionKind.values and severity_of(kind) is None and kind != K.COMM_LOST
    ]
    for a in open_by_kind.values():
        if a.kind in present:
            continue
        if a.last_trap_at is not None and now < a.last_trap_at + policy.trap_confirm_grace:
            continue  # this poll was taken before the trap: it cannot know yet
        if a.latched:
            continue  # already held, waiting for the reset
        if a.kind in policy.latched_kinds and a.state == AlarmState.ACTIVE_UNACKED:
            out.append(Transition(Action.LATCH, a.kind, now, a.id))
            continue
        out.append(Transition(Action.CLEAR, a.kind, now, a.id, message="condition gone"))
    return out


def plan_trap(
    alarms: Sequence[AlarmView], hint: TrapHint, policy: Policy = DEFAULT_POLICY
) -> list[Transition]:
    """What one trap does to the alarms of its UPS. A trap is a hint: it raises or
    updates at once (the operator learns within a second) but never clears; the
    re-poll that the receiver requests is the truth."""
    now = hint.at
    if hint.action == TrapAction.TEST_COMPLETED or hint.kind is None:
        return [
            Transition(
                Action.TEST_COMPLETED,
                hint.kind or "",
                now,
                message=hint.message,
                source=AlarmSource.TRAP,
                data=hint.data,
            )
        ]
    open_alarm = next((a for a in alarms if a.is_open and a.kind == hint.kind), None)
    if hint.action == TrapAction.REMOVED:
        if open_alarm is None:
            return []
        return [
            Transition(
                Action.REMOVAL_HINT,
                hint.kind,
                now,
                open_alarm.id,
                source=AlarmSource.TRAP,
                data=hint.data,
            )
        ]
    severity = severity_of(hint.kind)
    if severity is None:
        return [
            Transition(
                Action.INFO_STARTED,
                hint.kind,
                now,
                message=hint.message,
                source=AlarmSource.TRAP,
                data=hint.data,
            )
        ]
    if open_alarm is None and hint.test_running and hint.kind in policy.test_suppressed_kinds:
        return [
            Transition(
                Action.TEST_EVENT,
                hint.kind,
                now,
                severity=severity,
                message=hint.message,
                source=AlarmSource.TRAP,
                data=hint.data,
            )
        ]
    # A trap says little: an open alarm keeps the richer message its polls gave it.
    message = (open_alarm.message if open_alarm else "") or hint.message or _label(hint.kind)
    t = _assert(
        hint.kind,
        severity,
        message,
        now,
        open_alarm,
        _flap_candidates(alarms, now, policy).get(hint.kind),
        policy,
        source=AlarmSource.TRAP,
        repeat=True,
    )
    return [replace(t, data=hint.data)]


def _label(kind: str) -> str:
    return ConditionKind(kind).label.lower() if kind in ConditionKind.values else kind
