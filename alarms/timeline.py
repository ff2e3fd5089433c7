"""The per-UPS event timeline: alarm log rows and received traps, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from heapq import merge
from typing import Any

from django.apps import apps

from alarms.choices import EventKind
from alarms.models import AlarmEvent

# Event kind → timeline category (CSS class and filter word).
CATEGORY: dict[str, str] = {
    EventKind.TEST_EVENT: "test",
    EventKind.TEST_STARTED: "test",
    EventKind.TEST_ENDED: "test",
    EventKind.TEST_COMPLETED: "test",
    EventKind.FROZEN: "comm",
    EventKind.UNFROZEN: "comm",
    EventKind.ACKNOWLEDGED: "operator",
    EventKind.COMMENTED: "operator",
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    category: str  # alarm, test, comm, operator, trap
    title: str
    text: str
    url: str | None = None
    user: str = ""


def _event_entry(e: AlarmEvent) -> Entry:
    category = "comm" if e.condition == "CommLost" else CATEGORY.get(e.kind, "alarm")
    title = f"{e.get_kind_display()}" + (f": {e.condition}" if e.condition else "")
    return Entry(
        e.at,
        category,
        title,
        e.message,
        e.alarm.get_absolute_url() if e.alarm_id and e.alarm else None,
        e.user.get_username() if e.user_id and e.user else "",
    )


def _trap_entries(ups_id: int, limit: int) -> list[Entry]:
    try:
        trap_model: Any = apps.get_model("monitoring", "Trap")
    except LookupError:
        return []
    rows = trap_model.objects.filter(ups_id=ups_id).order_by("-received_at", "-id")[:limit]
    return [
        Entry(
            t.received_at,
            "trap",
            f"Trap {t.get_kind_display()}" + (f": {t.alarm}" if t.alarm else ""),
            t.trap_oid + ("" if t.community_ok else " (wrong community)"),
        )
        for t in rows
    ]


def ups_timeline(ups_id: int, limit: int = 50) -> list[Entry]:
    events = (
        AlarmEvent.objects.filter(ups_id=ups_id)
        .select_related("alarm", "user")
        .order_by("-at", "-id")[:limit]
    )
    entries = merge(
        [_event_entry(e) for e in events],
        _trap_entries(ups_id, limit),
        key=lambda e: e.at,
        reverse=True,
    )
    return list(entries)[:limit]
