"""What a message says: the alarm snapshot stored with each outbox row, and the
`Message` a transport renders (one alarm, a digest of many, or a test).

The snapshot is taken when the row is planned, so a message sent after retries still
describes the alarm as it was when the step fired, and the log keeps it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings

from monitoring.choices import ConditionKind, Severity
from notifications.choices import Event

if TYPE_CHECKING:
    from alarms.models import Alarm
    from notifications.models import Notification, Recipient


def absolute(path: str) -> str:
    return settings.NOTIFY["BASE_URL"].rstrip("/") + path


def _label(kind: str) -> str:
    return ConditionKind(kind).label if kind in ConditionKind.values else kind


def alarm_item(alarm: Alarm, event: str, due_at: datetime) -> dict[str, Any]:
    """The JSON snapshot of one alarm for one notification (documented in
    docs/notifications.md: it is also the webhook payload's `alarms[]` entry)."""
    ups = alarm.ups
    site = ups.site
    status = getattr(ups, "status", None)
    m = getattr(status, "measurement", None) if status is not None else None
    return {
        "alarm_id": alarm.pk,
        "event": event,
        "event_label": Event(event).label,
        "kind": alarm.kind,
        "condition": _label(alarm.kind),
        "severity": alarm.severity,
        "message": alarm.message,
        "state": alarm.state,
        "ups_id": ups.pk,
        "ups": ups.name,
        "site": site.name,
        "region": site.region.name if site.region_id and site.region else "",
        "raised_at": alarm.raised_at.isoformat(),
        "cleared_at": alarm.cleared_at.isoformat() if alarm.cleared_at else None,
        "due_at": due_at.isoformat(),
        "url": absolute(ups.get_absolute_url()),
        "alarm_url": absolute(alarm.get_absolute_url()),
        "values": {
            "seconds_on_battery": getattr(m, "seconds_on_battery", None),
            "runtime_remaining_s": getattr(m, "runtime_remaining_s", None),
            "charge_pct": getattr(m, "charge_pct", None),
            "load_pct": getattr(m, "load_pct", None),
            "input_voltage_v": getattr(m, "input_voltage_l1", None),
        },
    }


def test_item(recipient: Recipient, channel_name: str, due_at: datetime) -> dict[str, Any]:
    return {
        "alarm_id": None,
        "event": Event.TEST,
        "event_label": Event.TEST.label,
        "kind": "Test",
        "condition": "Test message",
        "severity": Severity.WARNING,
        "message": f"Test of {channel_name} for {recipient.name}: if you read this, it works.",
        "state": "",
        "ups_id": None,
        "ups": "",
        "site": "",
        "region": "",
        "raised_at": due_at.isoformat(),
        "cleared_at": None,
        "due_at": due_at.isoformat(),
        "url": absolute("/"),
        "alarm_url": absolute("/"),
        "values": {},
    }


def subject_of(item: dict[str, Any]) -> str:
    """One alarm: severity, condition, UPS, site, what happened - the order a phone's
    lock screen cuts it in."""
    if item["event"] == Event.TEST:
        return "[UNMS] Test message"
    where = f"{item['ups']} @ {item['site']}"
    return f"[{item['severity'].upper()}] {item['condition']} - {where} ({item['event_label']})"[
        :300
    ]


@dataclass(frozen=True)
class Message:
    kind: str  # "alarm" | "digest" | "test"
    subject: str
    items: tuple[dict[str, Any], ...]
    notification_ids: tuple[int, ...]

    @property
    def first(self) -> dict[str, Any]:
        return self.items[0]

    @property
    def severity(self) -> str:
        ranks = [
            Severity(i["severity"]).rank for i in self.items if i["severity"] in Severity.values
        ]
        return Severity.CRITICAL if max(ranks, default=1) >= 2 else Severity.WARNING

    def as_json(self, recipient: Recipient, sent_at: datetime) -> dict[str, Any]:
        """The webhook body (payload version 1)."""
        return {
            "version": 1,
            "type": self.kind,
            "subject": self.subject,
            "severity": self.severity,
            "sent_at": sent_at.isoformat(),
            "notification_ids": list(self.notification_ids),
            "recipient": {"name": recipient.name, "address": recipient.address},
            "count": len(self.items),
            "alarms": list(self.items),
        }


def message_for(rows: Sequence[Notification]) -> Message:
    items = tuple(r.payload for r in rows)
    ids = tuple(r.pk for r in rows)
    if len(rows) == 1:
        kind = "test" if items[0]["event"] == Event.TEST else "alarm"
        return Message(kind, rows[0].subject, items, ids)
    return Message("digest", digest_subject(items), items, ids)


def digest_subject(items: Sequence[dict[str, Any]]) -> str:
    """ "[UNMS] 60 alarms on 60 UPSs: On battery x58, Low battery x2"."""
    upses = {i["ups_id"] for i in items}
    counts = Counter(i["condition"] for i in items).most_common(3)
    summary = ", ".join(f"{c} x{n}" for c, n in counts)
    more = "" if len(counts) == len({i["condition"] for i in items}) else ", ..."
    return f"[UNMS] {len(items)} alarms on {len(upses)} UPSs: {summary}{more}"[:300]
