"""The alarm lifecycle's I/O shell around the pure planner in `alarms.core`.

Two pipeline steps, assembled in settings (monitoring never imports alarms):
- `apply_poll` in `UNMS["AFTER_POLL"]`: every recorded poll reconciles the UPS's alarms;
- `apply_trap_events` in `UNMS["AFTER_TRAPS"]`: accepted traps raise or update at once.
Both load what the planner needs, run `plan`/`plan_trap` and execute the transitions in
one transaction, every change written as an `AlarmEvent` row (history and outbox).
Operator actions (`acknowledge`, `comment`) live here too, so all writes share one path.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alarms import live
from alarms.choices import AlarmSource, AlarmState, EventKind
from alarms.core import (
    Action,
    AlarmView,
    Observation,
    Policy,
    Transition,
    TrapAction,
    TrapHint,
    plan,
    plan_trap,
    recent_transitions,
)
from alarms.models import Alarm, AlarmEvent
from monitoring.choices import ConditionKind, Severity, TestResult, UpsState
from monitoring.models import UpsStatus
from monitoring.status import ALARM_SEVERITY, Condition

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from monitoring.recorder import PollOutcome
    from monitoring.traps.events import TrapEvent

log = logging.getLogger(__name__)
K = ConditionKind

__all__ = ["acknowledge", "apply_poll", "apply_trap_events", "comment", "plan", "policy"]


def policy() -> Policy:
    conf: dict[str, Any] = settings.UNMS.get("ALARMS", {})
    default = Policy()
    return Policy(
        flap_window=timedelta(seconds=conf.get("FLAP_WINDOW_S", 60)),
        chatter_transitions=conf.get("CHATTER_TRANSITIONS", 3),
        chatter_window=timedelta(seconds=conf.get("CHATTER_WINDOW_S", 60)),
        latched_kinds=frozenset(conf.get("LATCHED_KINDS", default.latched_kinds)),
        test_suppressed_kinds=frozenset(
            conf.get("TEST_SUPPRESSED_KINDS", default.test_suppressed_kinds)
        ),
        trap_confirm_grace=timedelta(seconds=conf.get("TRAP_CONFIRM_GRACE_S", 0)),
    )


def _self_test_window() -> timedelta:
    return timedelta(seconds=settings.UNMS.get("ALARMS", {}).get("SELF_TEST_WINDOW_S", 900))


# --- loading -------------------------------------------------------------------------


def _view(a: Alarm, key: int | None = None) -> AlarmView:
    return AlarmView(
        id=a.pk if key is None else key,
        kind=a.kind,
        severity=a.severity,
        state=AlarmState(a.state),
        source=AlarmSource(a.source),
        cleared_at=a.cleared_at,
        frozen=a.frozen,
        latched=a.latched,
        chattering=a.chattering,
        last_trap_at=a.last_trap_at,
        transitions=tuple(t for t in map(parse_datetime, a.transitions) if t is not None),
        message=a.message,
    )


def _relevant(ups_id: int, now: datetime, pol: Policy) -> dict[int, Alarm]:
    """Open alarms, and those cleared recently enough to be re-opened by a flap."""
    rows = Alarm.objects.filter(ups_id=ups_id).filter(
        Q(cleared_at__isnull=True) | Q(cleared_at__gte=now - pol.flap_window)
    )
    return {a.pk: a for a in rows}


def system_test_running(ups_id: int, now: datetime) -> bool:
    """A self-test started from this system (`note_test_started`) and not yet over."""
    last = (
        AlarmEvent.objects.filter(
            ups_id=ups_id,
            at__gte=now - _self_test_window(),
            at__lte=now,
            kind__in=[EventKind.TEST_STARTED, EventKind.TEST_ENDED, EventKind.TEST_COMPLETED],
        )
        .order_by("-at", "-id")
        .first()
    )
    return (
        last is not None
        and last.kind == EventKind.TEST_STARTED
        and bool(last.data.get("by_system"))
    )


def note_test_started(ups_id: int, user: User | None, now: datetime) -> AlarmEvent:
    """Record that this system started a self-test: until it ends (or the self-test
    window passes), on-battery and low runtime/charge are test events, not alarms."""
    return AlarmEvent.objects.create(
        ups_id=ups_id,
        at=now,
        kind=EventKind.TEST_STARTED,
        user=user,
        data={"by_system": True},
        message="self-test started from the console",
    )


def observation_of(outcome: PollOutcome) -> Observation:
    reading = outcome.reading
    conditions = outcome.current.conditions
    kinds = {c.kind for c in conditions}
    if (
        reading.reachable
        and reading.test_result == TestResult.DONE_ERROR
        and (K.DIAGNOSTIC_TEST_FAILED not in kinds)
    ):
        # The agent may not list the failed test in its alarm table; its test result
        # summary says so just as well.
        detail = f": {reading.test_detail}" if reading.test_detail else ""
        conditions = (
            *conditions,
            Condition(
                K.DIAGNOSTIC_TEST_FAILED,
                ALARM_SEVERITY[K.DIAGNOSTIC_TEST_FAILED],
                f"last self-test failed{detail}",
            ),
        )
    test_running = (
        K.TEST_IN_PROGRESS in kinds
        or reading.test_result == TestResult.IN_PROGRESS
        or system_test_running(outcome.ups_id, outcome.taken_at)
    )
    return Observation(
        taken_at=outcome.taken_at,
        conditions=conditions,
        previous_kinds=frozenset(str(c.kind) for c in outcome.previous.conditions),
        reachable=reading.reachable,
        test_running=test_running,
    )


# --- the pipeline steps --------------------------------------------------------------


def apply_poll(outcome: PollOutcome) -> list[Transition]:
    """AFTER_POLL step: reconcile the UPS's alarms with the poll just recorded."""
    pol = policy()
    obs = observation_of(outcome)
    with transaction.atomic():
        _lock_status(outcome.ups_id)
        alarms = _relevant(outcome.ups_id, obs.taken_at, pol)
        transitions = plan([_view(a) for a in alarms.values()], obs, pol)
        _execute(outcome.ups_id, transitions, alarms, pol)
        sync_status(outcome.ups_id, obs.taken_at)
    return transitions


_TRAP_ACTIONS: dict[str, TrapAction] = {
    "on_battery": TrapAction.ASSERT,
    "alarm_added": TrapAction.ASSERT,
    "alarm_removed": TrapAction.REMOVED,
    "test_completed": TrapAction.TEST_COMPLETED,
}


def _hint(event: TrapEvent, test_running: bool) -> TrapHint | None:
    action = _TRAP_ACTIONS.get(str(event.kind))
    if action is None:
        return None  # "other": stored in the trap log, nothing to do with alarms
    if action != TrapAction.TEST_COMPLETED and event.alarm not in ConditionKind.values:
        return None
    data = {"trap_id": event.trap_id, "trap_oid": event.trap_oid}
    return TrapHint(
        at=event.received_at,
        action=action,
        kind=event.alarm if action != TrapAction.TEST_COMPLETED else None,
        message=_trap_message(event),
        test_running=test_running,
        data=data,
    )


def _trap_message(event: TrapEvent) -> str:
    if event.alarm in ConditionKind.values:
        return f"{ConditionKind(event.alarm).label.lower()} (trap, awaiting poll)"
    return f"{event.kind} trap"


def apply_trap_events(events: Sequence[TrapEvent]) -> int:
    """AFTER_TRAPS step: raise/update alarms from a stored batch of accepted traps.

    Returns the number of transitions executed. The receiver has already requested the
    re-poll of each UPS; that poll confirms or clears what is raised here.

    The whole batch is one transaction with a constant number of queries
    (`_apply_trap_batch`): the status rows of all its UPSs locked at once in ups_id
    order, their alarms and test events loaded together, planned in memory one trap
    at a time exactly as before, then written in bulk. If that fails (a concurrent
    writer raised the same alarm first, a bad row), the batch is rolled back and replayed
    UPS by UPS (`_apply_traps_of`, the reference path), so one UPS's failure stays its own.
    """
    pol = policy()
    by_ups: dict[int, list[TrapEvent]] = defaultdict(list)
    for event in events:
        if event.ups_id is not None:
            by_ups[event.ups_id].append(event)
    if not by_ups:
        return 0
    batches = {u: sorted(b, key=lambda e: e.received_at) for u, b in by_ups.items()}
    try:
        with transaction.atomic():
            return _apply_trap_batch(batches, pol)
    except Exception as exc:
        log.warning(
            "alarm step: batch of %d traps from %d UPSs failed (%s: %s); replaying per UPS",
            sum(map(len, batches.values())),
            len(batches),
            type(exc).__name__,
            exc,
        )
    done = 0
    for ups_id, batch in batches.items():
        try:
            done += _apply_traps_of(ups_id, batch, pol)
        except Exception:
            log.exception("alarm step failed for traps of UPS %s", ups_id)
    return done


def _apply_traps_of(ups_id: int, batch: list[TrapEvent], pol: Policy) -> int:
    """The per-UPS, per-trap path: the fallback of `apply_trap_events` and the
    reference its batched path is tested against."""
    done = 0
    with transaction.atomic():
        status = _lock_status(ups_id)
        kinds = {c.get("kind") for c in (status.conditions if status else [])}
        for event in batch:
            test_running = K.TEST_IN_PROGRESS in kinds or system_test_running(
                ups_id, event.received_at
            )
            hint = _hint(event, test_running)
            if hint is None:
                continue
            alarms = _relevant(ups_id, hint.at, pol)
            transitions = plan_trap([_view(a) for a in alarms.values()], hint, pol)
            _execute(ups_id, transitions, alarms, pol)
            done += len(transitions)
        sync_status(ups_id, max(e.received_at for e in batch))
    return done


_TEST_EVENTS = (EventKind.TEST_STARTED, EventKind.TEST_ENDED, EventKind.TEST_COMPLETED)


class _TrapBatch:
    """The alarms of a batch's UPSs in memory: the trap handlers below mirror `_raise`,
    `_update`, `_reopen` and `_note`, but collect rows instead of writing them."""

    def __init__(self, ups_ids: list[int], earliest: datetime, latest: datetime, pol: Policy):
        self.pol = pol
        # Open alarms and those cleared recently enough to be re-opened by a flap at the
        # batch's earliest trap (each trap then filters with its own time, as _relevant).
        # Keyed by pk; alarms raised in this batch get negative keys until written.
        self.alarms: dict[int, dict[int, Alarm]] = defaultdict(dict)
        rows = Alarm.objects.filter(ups_id__in=ups_ids).filter(
            Q(cleared_at__isnull=True) | Q(cleared_at__gte=earliest - pol.flap_window)
        )
        for a in rows:  # default ordering (-raised_at, -id), as _relevant returns them
            self.alarms[a.ups_id][a.pk] = a
        # Self-test events, for system_test_running: (at, order, kind, by_system).
        self.tests: dict[int, list[tuple[datetime, tuple[int, int], str, bool]]] = defaultdict(list)
        window = _self_test_window()
        for ups_id, at, pk, kind, data in (
            AlarmEvent.objects.filter(
                ups_id__in=ups_ids,
                at__gte=earliest - window,
                at__lte=latest,
                kind__in=_TEST_EVENTS,
            )
            .order_by()
            .values_list("ups_id", "at", "id", "kind", "data")
        ):
            self.tests[ups_id].append((at, (0, pk), kind, bool((data or {}).get("by_system"))))
        self.window = window
        self.new: list[Alarm] = []
        self.dirty: dict[int, tuple[Alarm, set[str]]] = {}
        self.events: list[AlarmEvent] = []
        self._seq = 0

    # --- reading, as the per-trap path reads the database ---------------------------
    def relevant(self, ups_id: int, now: datetime) -> dict[int, Alarm]:
        since = now - self.pol.flap_window
        return {
            key: a
            for key, a in self.alarms[ups_id].items()
            if a.cleared_at is None or a.cleared_at >= since
        }

    def system_test_running(self, ups_id: int, now: datetime) -> bool:
        since = now - self.window
        seen = [t for t in self.tests[ups_id] if since <= t[0] <= now]
        if not seen:
            return False
        _, _, kind, by_system = max(seen, key=lambda t: (t[0], t[1]))
        return kind == EventKind.TEST_STARTED and by_system

    # --- the handlers ----------------------------------------------------------------
    def execute(self, ups_id: int, transitions: list[Transition], alarms: dict[int, Alarm]) -> None:
        for t in transitions:
            if t.action == Action.RAISE:
                self._raise(ups_id, t)
            elif t.action == Action.UPDATE:
                self._update(ups_id, t, alarms)
            elif t.action == Action.REOPEN:
                self._reopen(ups_id, t, alarms)
            elif t.action in _NOTES:
                self._note(ups_id, t, alarms)
            else:  # not a trap transition: let the per-UPS path do it
                raise ValueError(f"unexpected trap transition {t.action}")

    def _event(
        self, alarm: Alarm | None, ups_id: int, kind: EventKind, t: Transition, **extra: Any
    ) -> None:
        row = _event_row(alarm, ups_id, kind, t, **extra)
        self.events.append(row)
        if kind in _TEST_EVENTS:
            self._seq += 1
            by_system = bool(row.data.get("by_system"))
            self.tests[ups_id].append((row.at, (1, self._seq), kind, by_system))

    def _touch(self, alarm: Alarm, fields: Iterable[str]) -> None:
        if alarm.pk is None:
            return  # raised in this batch: created with its final values
        self.dirty.setdefault(alarm.pk, (alarm, set()))[1].update(fields)

    def _raise(self, ups_id: int, t: Transition) -> None:
        alarm = Alarm(
            ups_id=ups_id,
            kind=t.kind,
            severity=t.severity or Severity.WARNING,
            message=t.message[:300],
            state=AlarmState.ACTIVE_UNACKED,
            source=t.source,
            raised_at=t.at,
            last_seen_at=t.at,
            last_trap_at=t.at if t.trap else None,
        )
        self.new.append(alarm)
        self.alarms[ups_id][-len(self.new)] = alarm
        self._event(alarm, ups_id, EventKind.RAISED, t)

    def _update(self, ups_id: int, t: Transition, alarms: dict[int, Alarm]) -> None:
        alarm = alarms[t.alarm_id or 0]
        # Repeats collapse: one UPDATE of the row per batch, one event per trap.
        self._touch(alarm, _apply_update(alarm, ups_id, t, self._event))

    def _reopen(self, ups_id: int, t: Transition, alarms: dict[int, Alarm]) -> None:
        alarm = alarms[t.alarm_id or 0]
        _apply_reopen(alarm, t, self.pol)
        self._touch(alarm, _ALL_FIELDS)  # the per-trap path saves the whole row
        _reopen_events(alarm, ups_id, t, self.pol, self._event)

    def _note(self, ups_id: int, t: Transition, alarms: dict[int, Alarm]) -> None:
        _note_event(ups_id, t, alarms, *_NOTES[t.action], self._event)

    # --- writing ---------------------------------------------------------------------
    def write(self) -> None:
        if self.new:
            Alarm.objects.bulk_create(self.new)  # pks come back (PostgreSQL, SQLite ≥ 3.35)
            if any(a.pk is None for a in self.new):
                raise RuntimeError("bulk_create returned no primary keys")
            for by_key in self.alarms.values():
                for key in [k for k in by_key if k < 0]:
                    alarm = by_key.pop(key)
                    by_key[alarm.pk] = alarm
        groups: dict[frozenset[str], list[Alarm]] = defaultdict(list)
        for alarm, changed in self.dirty.values():
            groups[frozenset(changed)].append(alarm)
        for columns, rows in groups.items():
            Alarm.objects.bulk_update(rows, sorted(columns))
        if self.events:
            AlarmEvent.objects.bulk_create(self.events)

    def open_alarms(self, ups_id: int) -> list[Alarm]:
        """In the default order (-raised_at, -id), as sync_status reads them."""
        found = [a for a in self.alarms[ups_id].values() if a.cleared_at is None]
        return sorted(found, key=lambda a: (a.raised_at, a.pk), reverse=True)


_NOTES: dict[Action, tuple[EventKind, EventKind | None]] = {
    Action.REMOVAL_HINT: (EventKind.REMOVAL_REPORTED, None),
    Action.TEST_EVENT: (EventKind.TEST_EVENT, None),
    Action.INFO_STARTED: (EventKind.INFO, EventKind.TEST_STARTED),
    Action.INFO_ENDED: (EventKind.INFO, EventKind.TEST_ENDED),
    Action.TEST_COMPLETED: (EventKind.TEST_COMPLETED, None),
}
_ALL_FIELDS = tuple(f.name for f in Alarm._meta.concrete_fields if not f.primary_key)
_ALARM_CHANGED = frozenset({Action.RAISE, Action.UPDATE, Action.REOPEN})


def _apply_trap_batch(batches: dict[int, list[TrapEvent]], pol: Policy) -> int:
    """`_apply_traps_of` for every UPS of the batch at once (the caller's transaction)."""
    ups_ids = sorted(batches)
    # The recorder's per-UPS row lock, for all the batch's UPSs in one statement and in
    # ups_id order: the poll path holds one such lock at a time, so no deadlock.
    statuses = {
        s.ups_id: s
        for s in UpsStatus.objects.select_for_update().filter(ups_id__in=ups_ids).order_by("ups_id")
    }
    earliest = min(b[0].received_at for b in batches.values())
    latest = max(b[-1].received_at for b in batches.values())
    mem = _TrapBatch(ups_ids, earliest, latest, pol)
    done = 0
    changed: list[int] = []
    for ups_id, batch in batches.items():  # the per-UPS path's order: events keep it
        status = statuses.get(ups_id)
        kinds = {c.get("kind") for c in (status.conditions if status else [])}
        touched = False
        for event in batch:
            test_running = K.TEST_IN_PROGRESS in kinds or mem.system_test_running(
                ups_id, event.received_at
            )
            hint = _hint(event, test_running)
            if hint is None:
                continue
            alarms = mem.relevant(ups_id, hint.at)
            transitions = plan_trap([_view(a, key) for key, a in alarms.items()], hint, pol)
            mem.execute(ups_id, transitions, alarms)
            done += len(transitions)
            touched = touched or any(t.action in _ALARM_CHANGED for t in transitions)
        if touched:
            changed.append(ups_id)
    mem.write()
    # The traffic lights, as sync_status would set them, written together.
    dirty_statuses, new_statuses = [], []
    for ups_id, batch in batches.items():
        now = batch[-1].received_at
        open_alarms = mem.open_alarms(ups_id)
        status = statuses.get(ups_id)
        if status is None:
            if not open_alarms:
                continue
            # Never polled yet: the row sync_status would create (a poll creating it
            # meanwhile fails the insert, and the batch is replayed per UPS).
            status = UpsStatus(ups_id=ups_id, state=UpsState.UNKNOWN, state_since=now)
            _follow_alarms(status, open_alarms, now)
            new_statuses.append(status)
        elif _follow_alarms(status, open_alarms, now):
            dirty_statuses.append(status)
    if new_statuses:
        UpsStatus.objects.bulk_create(new_statuses)
    if dirty_statuses:
        UpsStatus.objects.bulk_update(dirty_statuses, ["state", "state_since", "conditions"])
    live.after_commit(changed)  # console push, after commit
    return done


def _lock_status(ups_id: int) -> UpsStatus | None:
    # The same row the recorder locks: polls, traps and alarm steps of one UPS take
    # turns, and the planner never sees a half-applied batch.
    return UpsStatus.objects.select_for_update().filter(ups_id=ups_id).first()


# --- executing transitions -----------------------------------------------------------


def _event_row(
    alarm: Alarm | None, ups_id: int, kind: EventKind, t: Transition, **extra: Any
) -> AlarmEvent:
    data = dict(t.data)
    if t.severity:
        data.setdefault("severity", t.severity)
    if t.source == AlarmSource.TRAP:
        data.setdefault("source", "trap")
    return AlarmEvent(
        ups_id=ups_id,
        alarm=alarm,
        at=t.at,
        kind=kind,
        condition=t.kind if t.kind in ConditionKind.values else "",
        message=extra.pop("message", t.message),
        data=data | extra,
    )


def _event(alarm: Alarm | None, ups_id: int, kind: EventKind, t: Transition, **extra: Any) -> None:
    _event_row(alarm, ups_id, kind, t, **extra).save(force_insert=True)


def _push_transition(alarm: Alarm, at: datetime, pol: Policy) -> None:
    view = _view(alarm)
    alarm.transitions = [t.isoformat() for t in recent_transitions(view, at, pol)]


def _raise(ups_id: int, t: Transition, alarms: dict[int, Alarm], pol: Policy) -> None:
    try:
        with transaction.atomic():
            alarm = Alarm.objects.create(
                ups_id=ups_id,
                kind=t.kind,
                severity=t.severity or Severity.WARNING,
                message=t.message[:300],
                state=AlarmState.ACTIVE_UNACKED,
                source=t.source,
                raised_at=t.at,
                last_seen_at=t.at,
                last_trap_at=t.at if t.trap else None,
            )
    except IntegrityError:
        # Another writer opened it first (the database guarantees one open alarm per
        # UPS and kind): this sighting becomes an update of that alarm.
        alarm = Alarm.objects.get(ups_id=ups_id, kind=t.kind, cleared_at__isnull=True)
        alarms[alarm.pk] = alarm
        _update(
            ups_id,
            Transition(
                Action.UPDATE,
                t.kind,
                t.at,
                alarm.pk,
                t.severity,
                t.message,
                t.source,
                t.trap,
                t.trap,
                data=t.data,
            ),
            alarms,
            pol,
        )
        return
    alarms[alarm.pk] = alarm
    _event(alarm, ups_id, EventKind.RAISED, t)


# The alarm changes shared by the per-UPS handlers below and the batched trap handlers
# of _TrapBatch; `emit` writes an event (_event) or collects it (_TrapBatch._event).
_Emit = Callable[..., None]  # (alarm, ups_id, kind, t, **extra)


def _apply_update(alarm: Alarm, ups_id: int, t: Transition, emit: _Emit) -> list[str]:
    """Applies an UPDATE to `alarm` in memory; returns the fields it changed."""
    fields = ["last_seen_at"]
    alarm.last_seen_at = max(alarm.last_seen_at, t.at)
    if t.source == AlarmSource.POLL and t.message and alarm.message != t.message[:300]:
        alarm.message = t.message[:300]
        fields.append("message")
    if t.severity and t.severity != alarm.severity:
        emit(alarm, ups_id, EventKind.UPDATED, t, previous_severity=alarm.severity)
        alarm.severity = t.severity
        fields.append("severity")
    if t.trap:
        alarm.last_trap_at = max(alarm.last_trap_at or t.at, t.at)
        fields.append("last_trap_at")
    if t.data.get("unlatched"):
        alarm.latched = False
        fields.append("latched")
    if t.count:
        alarm.occurrences += 1
        fields.append("occurrences")
        emit(alarm, ups_id, EventKind.REPEATED, t, occurrences=alarm.occurrences)
    return fields


def _apply_reopen(alarm: Alarm, t: Transition, pol: Policy) -> None:
    """Applies a REOPEN to `alarm` in memory (every field may change)."""
    alarm.cleared_at = None
    alarm.state = AlarmState(alarm.state).reopened()
    alarm.occurrences += 1
    alarm.last_seen_at = t.at
    if t.severity:
        alarm.severity = t.severity
    if t.source == AlarmSource.POLL and t.message:
        alarm.message = t.message[:300]
    if t.trap:
        alarm.last_trap_at = t.at
    _push_transition(alarm, t.at, pol)
    alarm.chattering = alarm.chattering or t.chattering


def _reopen_events(alarm: Alarm, ups_id: int, t: Transition, pol: Policy, emit: _Emit) -> None:
    emit(alarm, ups_id, EventKind.FLAP_REOPENED, t, occurrences=alarm.occurrences)
    if t.chattering:
        emit(
            alarm,
            ups_id,
            EventKind.CHATTERING,
            t,
            message=f"{len(alarm.transitions)} transitions within "
            f"{pol.chatter_window.total_seconds():.0f} s",
        )


def _note_event(
    ups_id: int,
    t: Transition,
    alarms: dict[int, Alarm],
    kind: EventKind,
    test_kind: EventKind | None,
    emit: _Emit,
) -> None:
    """An event with no alarm state change; `test_kind` for TestInProgress."""
    alarm = alarms.get(t.alarm_id) if t.alarm_id else None
    chosen = test_kind if test_kind and t.kind == K.TEST_IN_PROGRESS else kind
    emit(alarm, ups_id, chosen, t)


def _update(ups_id: int, t: Transition, alarms: dict[int, Alarm], pol: Policy) -> None:
    alarm = alarms[t.alarm_id or 0]
    alarm.save(update_fields=_apply_update(alarm, ups_id, t, _event))


def _clear(ups_id: int, t: Transition, alarms: dict[int, Alarm], pol: Policy) -> None:
    alarm = alarms[t.alarm_id or 0]
    alarm.cleared_at = t.at
    alarm.state = AlarmState(alarm.state).cleared()
    alarm.frozen = alarm.latched = False
    _push_transition(alarm, t.at, pol)
    alarm.save(update_fields=["cleared_at", "state", "frozen", "latched", "transitions"])
    _event(alarm, ups_id, EventKind.CLEARED, t)


def _reopen(ups_id: int, t: Transition, alarms: dict[int, Alarm], pol: Policy) -> None:
    alarm = alarms[t.alarm_id or 0]
    _apply_reopen(alarm, t, pol)
    alarm.save()
    _reopen_events(alarm, ups_id, t, pol, _event)


def _flag(field: str, value: bool, kind: EventKind) -> Callable[..., None]:
    def handler(ups_id: int, t: Transition, alarms: dict[int, Alarm], pol: Policy) -> None:
        alarm = alarms[t.alarm_id or 0]
        setattr(alarm, field, value)
        alarm.save(update_fields=[field])
        _event(alarm, ups_id, kind, t)

    return handler


def _note(kind: EventKind, test_kind: EventKind | None = None) -> Callable[..., None]:
    def handler(ups_id: int, t: Transition, alarms: dict[int, Alarm], pol: Policy) -> None:
        _note_event(ups_id, t, alarms, kind, test_kind, _event)

    return handler


_HANDLERS: dict[Action, Callable[[int, Transition, dict[int, Alarm], Policy], None]] = {
    Action.RAISE: _raise,
    Action.UPDATE: _update,
    Action.CLEAR: _clear,
    Action.REOPEN: _reopen,
    Action.LATCH: _flag("latched", True, EventKind.LATCHED),
    Action.FREEZE: _flag("frozen", True, EventKind.FROZEN),
    Action.UNFREEZE: _flag("frozen", False, EventKind.UNFROZEN),
    Action.REMOVAL_HINT: _note(EventKind.REMOVAL_REPORTED),
    Action.TEST_EVENT: _note(EventKind.TEST_EVENT),
    Action.INFO_STARTED: _note(EventKind.INFO, EventKind.TEST_STARTED),
    Action.INFO_ENDED: _note(EventKind.INFO, EventKind.TEST_ENDED),
    Action.TEST_COMPLETED: _note(EventKind.TEST_COMPLETED),
}


def _execute(
    ups_id: int, transitions: Iterable[Transition], alarms: dict[int, Alarm], pol: Policy
) -> None:
    for t in transitions:
        _HANDLERS[t.action](ups_id, t, alarms, pol)
    live.after_transitions(ups_id, transitions)  # console push, after commit


# --- the traffic light ---------------------------------------------------------------

SYNTHETIC = "alarm"  # `source` of conditions this module adds to UpsStatus.conditions


def sync_status(ups_id: int, now: datetime) -> None:
    """Make the UPS's traffic light follow its worst open alarm.

    The recorder derives the state from the poll's conditions; open alarms the poll does
    not show (raised by a trap before the re-poll, latched until reset, the failed-test
    alarm) are added as conditions marked `"source": "alarm"` and may raise the state.
    Frozen alarms are listed as reasons but do not change a comm-lost state: their data
    is stale, and comm lost must look like neither healthy nor alarm.
    """
    status = UpsStatus.objects.filter(ups_id=ups_id).first()
    open_alarms = list(Alarm.objects.filter(ups_id=ups_id, cleared_at__isnull=True))
    if status is None:
        if not open_alarms:
            return
        status = UpsStatus.objects.create(ups_id=ups_id, state=UpsState.UNKNOWN, state_since=now)
    if _follow_alarms(status, open_alarms, now):
        status.save(update_fields=["state", "state_since", "conditions"])


def _follow_alarms(status: UpsStatus, open_alarms: Iterable[Alarm], now: datetime) -> bool:
    """Set `status` (in memory) from its poll conditions and its open alarms, which come
    in the default order (-raised_at, -id); True if anything changed."""
    base = [c for c in status.conditions if c.get("source") != SYNTHETIC]
    shown = {c["kind"] for c in base}
    extra = [
        {
            "kind": a.kind,
            "severity": None if a.frozen else a.severity,
            "reason": a.message + _suffix(a),
            "source": SYNTHETIC,
        }
        for a in sorted(open_alarms, key=lambda a: a.raised_at)
        if a.kind not in shown
    ]
    state = UpsState(status.state)
    if state not in (UpsState.UNKNOWN, UpsState.COMM_LOST):
        state = UpsState.for_severity(_worst(base))
    worst_extra = _worst(extra)
    if worst_extra is not None:
        state = max(state, UpsState.for_severity(worst_extra), key=lambda s: s.rank)
    conditions = base + extra
    if conditions == status.conditions and state == status.state:
        return False
    if state != status.state:
        status.state_since = now
    status.state = state
    status.conditions = conditions
    return True


def _suffix(alarm: Alarm) -> str:
    if alarm.frozen:
        return " (frozen: communication lost)"
    if alarm.latched:
        return " (latched: acknowledge to reset)"
    return ""


def _worst(conditions: Iterable[dict[str, Any]]) -> Severity | None:
    severities = [Severity(c["severity"]) for c in conditions if c.get("severity")]
    return max(severities, key=lambda s: s.rank, default=None)


# --- operator actions ----------------------------------------------------------------


def acknowledge(
    alarm_ids: Iterable[int],
    user: User | None,
    comment_text: str = "",
    now: datetime | None = None,
) -> int:
    """Acknowledge alarms; returns how many changed. A latched alarm whose condition
    has gone is reset (cleared) by its acknowledgement."""
    now = now or timezone.now()
    ids = sorted(set(alarm_ids))
    changed = 0
    touched: set[int] = set()
    with transaction.atomic():
        # Locks in the order polls and traps take them: the UPSs' status rows first (in
        # ups_id order, as the trap batch does), then the alarm rows. Taking the alarms
        # first and the status row only when sync_status writes it could deadlock with
        # a trap batch holding the status row and updating the same alarm. An alarm
        # never changes UPS, so the ids read before locking stay right.
        ups_ids = sorted(set(Alarm.objects.filter(pk__in=ids).values_list("ups_id", flat=True)))
        list(
            UpsStatus.objects.select_for_update()
            .filter(ups_id__in=ups_ids)
            .order_by("ups_id")
            .values_list("pk", flat=True)
        )
        for alarm in Alarm.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            state = AlarmState(alarm.state)
            if state.is_acked:
                continue
            alarm.state = state.acknowledged()
            alarm.acknowledged_by = user  # type: ignore[assignment]
            alarm.acknowledged_at = now
            reset = alarm.latched and alarm.cleared_at is None
            if reset:
                alarm.cleared_at = now
                alarm.state = AlarmState.CLEARED
                alarm.latched = False
            alarm.save()
            AlarmEvent.objects.create(
                ups_id=alarm.ups_id,
                alarm=alarm,
                at=now,
                kind=EventKind.ACKNOWLEDGED,
                condition=alarm.kind,
                user=user,
                message=comment_text,
            )
            if reset:
                AlarmEvent.objects.create(
                    ups_id=alarm.ups_id,
                    alarm=alarm,
                    at=now,
                    kind=EventKind.CLEARED,
                    condition=alarm.kind,
                    user=user,
                    message="latched alarm reset by ack",
                )
            touched.add(alarm.ups_id)
            changed += 1
        for ups_id in sorted(touched):
            sync_status(ups_id, now)
        live.after_commit(touched)  # console push, after commit
    return changed


def comment(alarm: Alarm, user: User | None, text: str, now: datetime | None = None) -> AlarmEvent:
    return AlarmEvent.objects.create(
        ups_id=alarm.ups_id,
        alarm=alarm,
        at=now or timezone.now(),
        kind=EventKind.COMMENTED,
        condition=alarm.kind,
        user=user,
        message=text,
    )
