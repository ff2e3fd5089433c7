"""The pure core: (alarms x rules x clock) -> the notifications due now.

No database, no clock of its own: the shell (`notifications.outbox`) loads facts, passes
`now` and the keys already in the outbox, and inserts what comes back. Planning is
state-based and idempotent: every due notification has a stable key, so planning the
same alarm twice (a re-run tick, two workers) yields the same keys, and the database's
unique constraint turns the second insert into nothing.

Timing is a table (`TIMING`): one small function per trigger says at which moments a
step is due for an alarm. A step is emitted once its moment has come (`<= now`) and
the alarm was in the required state at that moment, so the result does not depend on
how often or how late the planner runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitoring.choices import Severity
from notifications.choices import TRIGGER_EVENT, Event, Trigger


@dataclass(frozen=True)
class AlarmFacts:
    id: int
    ups_id: int
    site_id: int
    region_id: int | None
    kind: str
    severity: str
    raised_at: datetime
    cleared_at: datetime | None = None
    acknowledged_at: datetime | None = None
    # From the UPS's latest reading: when it went on battery (taken_at - seconds on
    # battery; None on mains) and the runtime it reported then.
    on_battery_since: datetime | None = None
    runtime_remaining_s: int | None = None
    reading_at: datetime | None = None

    def active_at(self, t: datetime) -> bool:
        return self.raised_at <= t and (self.cleared_at is None or t < self.cleared_at)

    def unacked_at(self, t: datetime) -> bool:
        return self.acknowledged_at is None or t < self.acknowledged_at


@dataclass(frozen=True)
class StepSpec:
    id: int
    trigger: Trigger
    seconds: int = 0
    limit: int | None = None


@dataclass(frozen=True)
class TargetSpec:
    recipient_id: int
    channel_id: int
    level: int = 0


@dataclass(frozen=True)
class RuleSpec:
    id: int
    steps: tuple[StepSpec, ...]
    targets: tuple[TargetSpec, ...]
    active_since: datetime
    min_severity: str = Severity.WARNING
    kinds: frozenset[str] = frozenset()
    region_ids: frozenset[int] = frozenset()
    site_ids: frozenset[int] = frozenset()
    ups_ids: frozenset[int] = frozenset()
    escalate_after_s: int | None = None
    storm_control: bool = True
    critical_one_by_one: bool = True

    def matches(self, a: AlarmFacts) -> bool:
        if Severity(a.severity).rank < Severity(self.min_severity).rank:
            return False
        if self.kinds and a.kind not in self.kinds:
            return False
        scoped = self.region_ids or self.site_ids or self.ups_ids
        return not scoped or (
            a.ups_id in self.ups_ids
            or a.site_id in self.site_ids
            or (a.region_id is not None and a.region_id in self.region_ids)
        )


@dataclass(frozen=True)
class WindowSpec:
    """A maintenance window on a site or one UPS: [starts_at, ends_at)."""

    id: int
    starts_at: datetime
    ends_at: datetime
    reason: str
    site_id: int | None = None
    ups_id: int | None = None

    def covers(self, a: AlarmFacts, t: datetime) -> bool:
        in_scope = a.ups_id == self.ups_id or (
            self.site_id is not None and a.site_id == self.site_id
        )
        return in_scope and self.starts_at <= t < self.ends_at


@dataclass(frozen=True)
class Due:
    key: str
    alarm_id: int
    rule_id: int
    step_id: int | None
    recipient_id: int
    channel_id: int
    event: Event
    due_at: datetime
    occurrence: int = 0
    digest: bool = False
    held_reason: str = ""


# --- timing: one function per trigger ----------------------------------------------
# Each yields (occurrence, moment) pairs that are due by `now`.

Timing = Callable[[AlarmFacts, StepSpec, datetime], Iterator[tuple[int, datetime]]]


def _immediate(a: AlarmFacts, s: StepSpec, now: datetime) -> Iterator[tuple[int, datetime]]:
    # The raise happened, even if the alarm cleared before the planner saw it.
    if a.raised_at <= now:
        yield 0, a.raised_at


def _still_active(a: AlarmFacts, s: StepSpec, now: datetime) -> Iterator[tuple[int, datetime]]:
    t = a.raised_at + timedelta(seconds=s.seconds)
    if t <= now and a.active_at(t):
        yield 0, t


def _repeat(a: AlarmFacts, s: StepSpec, now: datetime) -> Iterator[tuple[int, datetime]]:
    """Only the latest reminder due: a planner that was down for an hour sends one
    reminder, not sixty. An acknowledgement stops the reminders (someone owns it)."""
    if s.seconds <= 0:
        return
    ends = [e for e in (a.cleared_at, a.acknowledged_at) if e is not None]
    horizon = min([now, *ends])
    k = math.floor((horizon - a.raised_at).total_seconds() / s.seconds)
    if ends and a.raised_at + timedelta(seconds=k * s.seconds) >= min(ends):
        k -= 1  # the moment the alarm cleared or was acknowledged is already too late
    if s.limit is not None:
        k = min(k, s.limit)
    if k >= 1:
        yield k, a.raised_at + timedelta(seconds=k * s.seconds)


def _on_battery_for(a: AlarmFacts, s: StepSpec, now: datetime) -> Iterator[tuple[int, datetime]]:
    # Counted from the transfer the UPS reports, not from the raise: an on-delay on the
    # alarm does not delay "10 minutes on battery".
    if a.on_battery_since is None or a.cleared_at is not None:
        return
    t = max(a.on_battery_since + timedelta(seconds=s.seconds), a.raised_at)
    if t <= now:
        yield 0, t


def _runtime_below(a: AlarmFacts, s: StepSpec, now: datetime) -> Iterator[tuple[int, datetime]]:
    if a.runtime_remaining_s is None or a.cleared_at is not None:
        return
    if a.runtime_remaining_s < s.seconds:
        yield 0, max(a.reading_at or a.raised_at, a.raised_at)


def _on_clear(a: AlarmFacts, s: StepSpec, now: datetime) -> Iterator[tuple[int, datetime]]:
    if a.cleared_at is not None and a.cleared_at <= now:
        yield 0, a.cleared_at


TIMING: Mapping[str, Timing] = {
    Trigger.IMMEDIATE: _immediate,
    Trigger.STILL_ACTIVE: _still_active,
    Trigger.REPEAT: _repeat,
    Trigger.ON_BATTERY_FOR: _on_battery_for,
    Trigger.RUNTIME_BELOW: _runtime_below,
    Trigger.ON_CLEAR: _on_clear,
}

# --- keys ----------------------------------------------------------------------------


def key(alarm: int, rule: int, step: str, occurrence: int, recipient: int, channel: int) -> str:
    return f"a{alarm}.r{rule}.{step}.{occurrence}.p{recipient}.c{channel}"


def _told(existing: Iterable[str]) -> set[tuple[str, str, str, str]]:
    """(alarm, rule, recipient, channel) of every key: who has heard of an alarm."""
    told = set()
    for k in existing:
        parts = k.split(".")
        if len(parts) == 6:
            told.add((parts[0], parts[1], parts[4], parts[5]))
    return told


# --- the plan ------------------------------------------------------------------------


def plan(
    alarms: Sequence[AlarmFacts],
    rules: Sequence[RuleSpec],
    now: datetime,
    existing: Collection[str] = frozenset(),
    windows: Sequence[WindowSpec] = (),
) -> list[Due]:
    """Every notification due by `now` whose key is not in `existing`.

    - level-0 targets follow the rule's steps;
    - level-n targets hear of the alarm only when it is still unacknowledged and active
      n x `escalate_after_s` after the raise;
    - a clear is announced only to whoever was told of the alarm (a mains blip swallowed
      by "still active after 30 s" gets no recovery message either);
    - inside a maintenance window the row is still planned, but held and marked.
    """
    out: list[Due] = []
    seen = set(existing)
    told = _told(seen)
    for a in alarms:
        for r in rules:
            if not r.matches(a):
                continue
            # Lazily: the clear step (yielded last) must see who this pass told.
            for d in _rule_dues(a, r, now, told):
                if d.key in seen or d.due_at < r.active_since:
                    continue
                seen.add(d.key)
                told.add(
                    (f"a{d.alarm_id}", f"r{d.rule_id}", f"p{d.recipient_id}", f"c{d.channel_id}")
                )
                out.append(_finish(d, a, r, windows))
    return sorted(out, key=lambda d: (d.due_at, d.key))


def _rule_dues(
    a: AlarmFacts, r: RuleSpec, now: datetime, told: set[tuple[str, str, str, str]]
) -> Iterator[Due]:
    clears = [s for s in r.steps if s.trigger == Trigger.ON_CLEAR]
    # Steps other than the clear first, so that a clear planned in the same pass as the
    # raise (a short alarm seen late) follows it.
    for step in [s for s in r.steps if s.trigger != Trigger.ON_CLEAR]:
        for occ, t in TIMING[step.trigger](a, step, now):
            for tg in r.targets:
                if tg.level == 0:
                    yield _due(a, r, step, occ, tg, t)
    if r.escalate_after_s:
        for tg in r.targets:
            if tg.level == 0:
                continue
            t = a.raised_at + timedelta(seconds=tg.level * r.escalate_after_s)
            if t <= now and a.active_at(t) and a.unacked_at(t):
                yield Due(
                    key=key(a.id, r.id, f"esc{tg.level}", 0, tg.recipient_id, tg.channel_id),
                    alarm_id=a.id,
                    rule_id=r.id,
                    step_id=None,
                    recipient_id=tg.recipient_id,
                    channel_id=tg.channel_id,
                    event=Event.ESCALATION,
                    due_at=t,
                )
    for step in clears:
        for occ, t in _on_clear(a, step, now):
            for tg in r.targets:
                if (f"a{a.id}", f"r{r.id}", f"p{tg.recipient_id}", f"c{tg.channel_id}") in told:
                    yield _due(a, r, step, occ, tg, t)


def _due(a: AlarmFacts, r: RuleSpec, s: StepSpec, occ: int, tg: TargetSpec, t: datetime) -> Due:
    return Due(
        key=key(a.id, r.id, f"s{s.id}", occ, tg.recipient_id, tg.channel_id),
        alarm_id=a.id,
        rule_id=r.id,
        step_id=s.id,
        recipient_id=tg.recipient_id,
        channel_id=tg.channel_id,
        event=TRIGGER_EVENT[s.trigger],
        due_at=t,
        occurrence=occ,
    )


def _finish(d: Due, a: AlarmFacts, r: RuleSpec, windows: Sequence[WindowSpec]) -> Due:
    held = next((w for w in windows if w.covers(a, d.due_at)), None)
    critical_alone = r.critical_one_by_one and a.severity == Severity.CRITICAL
    return replace(
        d,
        digest=r.storm_control and not critical_alone,
        held_reason=f"maintenance: {held.reason}" if held else "",
    )


# --- storm control -------------------------------------------------------------------


def digest_slots(
    dues: Sequence[Due],
    open_groups: Mapping[tuple[int, int], datetime],
    windows_s: Mapping[int, int],
    now: datetime,
) -> dict[str, datetime]:
    """When each new row becomes sendable (its `next_attempt_at`).

    A digestible row joins the open group of its (recipient, channel) - the pending
    digestible rows not yet sendable - and leaves with it; with no open group it opens
    one that closes `window` seconds later. Everything else is sendable at once. The
    sender then sends each group it claims together as one digest message.
    """
    groups = dict(open_groups)
    out: dict[str, datetime] = {}
    for d in dues:
        window = windows_s.get(d.recipient_id, 0)
        if not d.digest or d.held_reason or window <= 0:
            out[d.key] = now
            continue
        g = (d.recipient_id, d.channel_id)
        flush = groups.get(g)
        if flush is None or flush < now:
            flush = groups[g] = now + timedelta(seconds=window)
        out[d.key] = flush
    return out
