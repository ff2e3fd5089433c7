"""Live alarm payloads for the console: the active-alarms panel and the flood banner.

The lifecycle calls `after_transitions`/`after_commit` (one line each in
`alarms.lifecycle`); the push runs after the commit, so a console never sees an alarm
the database could still roll back. `snapshot` joins the console's snapshot through
settings (`UNMS["CONSOLE"]["SNAPSHOT"]`): monitoring never imports alarms.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, Literal, TypedDict

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.roles import restrict_by_ups
from alarms.choices import AlarmState
from alarms.models import Alarm
from alarms.permissions import can_acknowledge
from monitoring.live import push_all, state_payloads

log = logging.getLogger(__name__)

# What the live list shows: open alarms and those cleared but not yet acknowledged
# (ISA-18.2: cleared + acked leaves the live list).
LIVE = Q(cleared_at__isnull=True) | Q(state=AlarmState.CLEARED_UNACKED)
# A flood must not make one snapshot huge; the history page has the rest.
SNAPSHOT_LIMIT = 500


class AlarmPayload(TypedDict):
    id: int
    ups_id: int
    ups_name: str
    site: str
    kind: str
    label: str
    severity: str
    state: str
    state_label: str
    unacked: bool
    active: bool
    latched: bool
    message: str
    raised_at: str
    url: str


class FloodPayload(TypedDict):
    count: int  # alarms raised within the window
    threshold: int
    window_s: int
    flood: bool
    top: list[tuple[str, int]]  # most frequent kinds in the window (label, count)


class AlarmsOfUpsPayload(TypedDict):
    type: Literal["alarms.ups"]
    ups_id: int
    alarms: list[AlarmPayload]
    flood: FloodPayload
    # Fleet-wide keys a restricted console gets recomputed for its scope (monitoring.live).
    rescope: list[str]


def alarm_payload(alarm: Alarm) -> AlarmPayload:
    state = AlarmState(alarm.state)
    return AlarmPayload(
        id=alarm.pk,
        ups_id=alarm.ups_id,
        ups_name=alarm.ups.name,
        site=alarm.ups.site.name,
        kind=alarm.kind,
        label=alarm.kind_label,
        severity=alarm.severity,
        state=state.value,
        state_label=state.label,
        unacked=not state.is_acked,
        active=state.is_active,
        latched=alarm.latched,
        message=alarm.message,
        raised_at=alarm.raised_at.isoformat(),
        url=alarm.get_absolute_url(),
    )


def _conf(key: str, default: int) -> int:
    return int(settings.UNMS.get("CONSOLE", {}).get(key, default))


def flood_status(user: Any = None) -> FloodPayload:
    """> threshold alarms raised in the window (EEMUA 191: 10 per 10 min) is a flood.

    With a user: counted over the UPSs the user sees (accounts.roles scope).
    """
    threshold = _conf("FLOOD_THRESHOLD", 10)
    window_s = _conf("FLOOD_WINDOW_S", 600)
    since = timezone.now() - timedelta(seconds=window_s)
    recent: QuerySet[Alarm] = Alarm.objects.filter(raised_at__gte=since)
    if user is not None:
        recent = restrict_by_ups(user, recent)
    by_kind = list(recent.values("kind").annotate(n=Count("id")).order_by("-n", "kind")[:50])
    count = sum(row["n"] for row in by_kind)
    labels = {a.kind: a.kind_label for a in (Alarm(kind=row["kind"]) for row in by_kind[:3])}
    return FloodPayload(
        count=count,
        threshold=threshold,
        window_s=window_s,
        flood=count > threshold,
        top=[(labels[row["kind"]], row["n"]) for row in by_kind[:3]],
    )


def _live_alarms(ups_id: int | None = None, user: Any = None) -> list[AlarmPayload]:
    qs: QuerySet[Alarm] = Alarm.objects.filter(LIVE).select_related("ups__site")
    if user is not None:
        qs = restrict_by_ups(user, qs)
    if ups_id is not None:
        qs = qs.filter(ups_id=ups_id)
    return [alarm_payload(a) for a in qs.order_by("-raised_at", "-id")[:SNAPSHOT_LIMIT]]


def live_alarms_by_ups(ups_ids: Iterable[int]) -> dict[int, list[AlarmPayload]]:
    """`_live_alarms(ups_id)` for each of `ups_ids`, in one query: the same rows in the
    same order, at most SNAPSHOT_LIMIT per UPS (a window function ranks them per UPS)."""
    ids = sorted(set(ups_ids))
    out: dict[int, list[AlarmPayload]] = {ups_id: [] for ups_id in ids}
    if not ids:
        return out
    newest_first = [F("raised_at").desc(), F("id").desc()]
    rows = (
        Alarm.objects.filter(LIVE, ups_id__in=ids)
        .select_related("ups__site")
        .annotate(live_rank=Window(RowNumber(), partition_by=[F("ups_id")], order_by=newest_first))
        .filter(live_rank__lte=SNAPSHOT_LIMIT)
        .order_by(*newest_first)
    )
    for alarm in rows:
        out[alarm.ups_id].append(alarm_payload(alarm))
    return out


def snapshot(
    user: Any, ups_id: int | None = None, keys: frozenset[str] | None = None
) -> dict[str, Any]:
    """Console snapshot contribution, within the user's scope: the live list, flood
    status, may this user ack. `keys`: only those (a restricted console's rescope)."""
    parts = {
        "alarms": lambda: _live_alarms(ups_id, user),
        "flood": lambda: flood_status(user),
        "can_acknowledge": lambda: can_acknowledge(user),
    }
    return {key: make() for key, make in parts.items() if keys is None or key in keys}


def push_ups(ups_ids: Iterable[int]) -> None:
    """Send the live alarms of each UPS and its tile (an alarm may change the light).

    Three queries (flood status, live alarms, tiles) and one hop onto the event loop for
    all the UPSs, however many: a regional outage's batch of 60 UPSs costs what one does.
    """
    ids = sorted(set(ups_ids))
    if not ids:
        return
    flood = flood_status()
    alarms = live_alarms_by_ups(ids)
    states = state_payloads(ids)
    payloads: list[Mapping[str, Any]] = []
    for ups_id in ids:
        payloads.append(
            AlarmsOfUpsPayload(
                type="alarms.ups",
                ups_id=ups_id,
                alarms=alarms[ups_id],
                flood=flood,
                rescope=["flood"],
            )
        )
        if ups_id in states:
            payloads.append(states[ups_id])
    push_all(payloads)


def _safe_push(ups_ids: list[int]) -> None:
    try:
        push_ups(ups_ids)
    except Exception:
        # The alarms are stored; consoles catch up with their next snapshot.
        log.exception("live push of the alarms of UPSs %s failed", ups_ids)


def after_commit(ups_ids: Iterable[int]) -> None:
    """Push the alarms of `ups_ids` once the current transaction commits."""
    ids = sorted(set(ups_ids))
    if ids:
        transaction.on_commit(lambda: _safe_push(ids))


# Transitions that change what the live list shows; events alone (test, info) do not.
_VISIBLE_ACTIONS = frozenset({"raise", "update", "clear", "reopen", "latch", "freeze", "unfreeze"})


def after_transitions(ups_id: int, transitions: Iterable[Any]) -> None:
    if any(str(t.action) in _VISIBLE_ACTIONS for t in transitions):
        after_commit([ups_id])
