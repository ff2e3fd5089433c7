"""The planning shell: alarm events in, outbox rows out, in one transaction.

`plan_pending` claims unprocessed `AlarmEvent` rows (the alarms app's outbox: a
conditional UPDATE of `processed_at`, rows locked with SKIP LOCKED on PostgreSQL so
concurrent planners split the work), loads the facts the pure planner needs for the
alarms concerned plus every open alarm (the timers: delays, repeats, escalation, battery
time), and inserts the due notifications. Event claim and row insert commit together:
an event is processed if and only if its notifications exist. Inserts ignore key
conflicts, so a second planner (or a re-run) adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from alarms.models import Alarm, AlarmEvent
from notifications.choices import State, Trigger
from notifications.messages import alarm_item, subject_of
from notifications.models import MaintenanceWindow, Notification, Recipient, Rule
from notifications.planner import (
    AlarmFacts,
    Due,
    RuleSpec,
    StepSpec,
    TargetSpec,
    WindowSpec,
    digest_slots,
    plan,
)

log = logging.getLogger(__name__)

# Maintenance windows that ended longer ago than this cannot cover a step due now
# (steps are planned when due; a late planner is minutes late, not days).
WINDOW_LOOKBACK = timedelta(days=1)


def load_rules() -> list[RuleSpec]:
    rules = Rule.objects.filter(enabled=True).prefetch_related(
        "steps", "targets", "regions", "sites", "upses"
    )
    return [
        RuleSpec(
            id=r.pk,
            steps=tuple(
                StepSpec(s.pk, Trigger(s.trigger), s.seconds, s.limit) for s in r.steps.all()
            ),
            targets=tuple(
                TargetSpec(t.recipient_id, t.channel_id, t.level) for t in r.targets.all()
            ),
            active_since=r.active_since,
            min_severity=r.min_severity,
            kinds=frozenset(r.kinds or ()),
            region_ids=frozenset(x.pk for x in r.regions.all()),
            site_ids=frozenset(x.pk for x in r.sites.all()),
            ups_ids=frozenset(x.pk for x in r.upses.all()),
            escalate_after_s=r.escalate_after_s,
            storm_control=r.storm_control,
            critical_one_by_one=r.critical_one_by_one,
        )
        for r in rules
    ]


def facts_of(a: Alarm) -> AlarmFacts:
    status = getattr(a.ups, "status", None)
    m = getattr(status, "measurement", None) if status is not None else None
    on_battery_since = None
    if m is not None and m.seconds_on_battery:
        on_battery_since = m.taken_at - timedelta(seconds=m.seconds_on_battery)
    return AlarmFacts(
        id=a.pk,
        ups_id=a.ups_id,
        site_id=a.ups.site_id,
        region_id=a.ups.site.region_id,
        kind=a.kind,
        severity=a.severity,
        raised_at=a.raised_at,
        cleared_at=a.cleared_at,
        acknowledged_at=a.acknowledged_at,
        on_battery_since=on_battery_since,
        runtime_remaining_s=getattr(m, "runtime_remaining_s", None),
        reading_at=getattr(m, "taken_at", None),
    )


def _claim_events(now: datetime, limit: int) -> tuple[int, set[int]]:
    """Claim up to `limit` unprocessed alarm events: (how many, the alarm ids)."""
    pending = AlarmEvent.objects.filter(processed_at__isnull=True).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        pending = pending.select_for_update(skip_locked=True)
    rows = list(pending.values_list("id", "alarm_id")[:limit])
    if not rows:
        return 0, set()
    AlarmEvent.objects.filter(id__in=[r[0] for r in rows], processed_at__isnull=True).update(
        processed_at=now
    )
    return len(rows), {alarm_id for _, alarm_id in rows if alarm_id is not None}


def _windows(now: datetime) -> list[WindowSpec]:
    return [
        WindowSpec(w.pk, w.starts_at, w.ends_at, w.reason, w.site_id, w.ups_id)
        for w in MaintenanceWindow.objects.filter(
            starts_at__lte=now, ends_at__gte=now - WINDOW_LOOKBACK
        )
    ]


def _digest_windows(recipient_ids: Iterable[int]) -> dict[int, int]:
    default = settings.NOTIFY["DIGEST_WINDOW_S"]
    return {
        pk: default if w is None else w
        for pk, w in Recipient.objects.filter(pk__in=set(recipient_ids)).values_list(
            "pk", "digest_window_s"
        )
    }


def _open_groups(now: datetime) -> dict[tuple[int, int], datetime]:
    rows = (
        Notification.objects.filter(state=State.PENDING, digest=True, next_attempt_at__gt=now)
        .values("recipient_id", "channel_id")
        .annotate(flush=Max("next_attempt_at"))
    )
    return {(r["recipient_id"], r["channel_id"]): r["flush"] for r in rows}


def plan_once(now: datetime | None = None, limit: int | None = None) -> tuple[int, int, bool]:
    """One planning pass: (events claimed, rows planned, more events waiting?)."""
    now = now or timezone.now()
    limit = limit or settings.NOTIFY["BATCH_SIZE"]
    rules = load_rules()
    with transaction.atomic():
        claimed, alarm_ids = _claim_events(now, limit)
        more = claimed >= limit
        if not rules:
            return claimed, 0, more
        alarms = list(
            Alarm.objects.filter(Q(pk__in=alarm_ids) | Q(cleared_at__isnull=True)).select_related(
                "ups__site__region", "ups__status__measurement"
            )
        )
        existing = set(
            Notification.objects.filter(
                Q(alarm_id__in=alarm_ids) | Q(alarm__cleared_at__isnull=True)
            ).values_list("key", flat=True)
        )
        dues = plan([facts_of(a) for a in alarms], rules, now, existing, _windows(now))
        created = _insert(dues, {a.pk: a for a in alarms}, now)
    return claimed, created, more


def _insert(dues: list[Due], alarms: dict[int, Alarm], now: datetime) -> int:
    if not dues:
        return 0
    slots = digest_slots(
        dues, _open_groups(now), _digest_windows(d.recipient_id for d in dues), now
    )
    rows = []
    for d in dues:
        item = alarm_item(alarms[d.alarm_id], d.event, d.due_at)
        rows.append(
            Notification(
                key=d.key,
                alarm_id=d.alarm_id,
                rule_id=d.rule_id,
                recipient_id=d.recipient_id,
                channel_id=d.channel_id,
                event=d.event,
                state=State.HELD if d.held_reason else State.PENDING,
                digest=d.digest,
                held_reason=d.held_reason,
                subject=subject_of(item),
                payload=item,
                due_at=d.due_at,
                next_attempt_at=slots[d.key],
                created_at=now,
            )
        )
    # A concurrent planner may have inserted some keys first: theirs stand.
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def plan_pending(now: datetime | None = None) -> dict[str, Any]:
    """Plan until every alarm event is processed; returns counts for the log."""
    events = created = 0
    while True:
        e, c, more = plan_once(now)
        events += e
        created += c
        if not more:
            break
    if created:
        log.info("planned %d notifications (%d alarm events)", created, events)
    return {"events": events, "created": created}
