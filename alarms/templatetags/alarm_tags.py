"""Template tags that let monitoring's templates show alarm data without monitoring's
views importing alarms (architecture: alarms may import monitoring, never the reverse)."""

from __future__ import annotations

from typing import Any

from django import template

from alarms.models import Alarm
from alarms.timeline import Entry, ups_timeline

register = template.Library()


@register.simple_tag
def alarm_timeline(ups: Any, limit: int = 50) -> list[Entry]:
    return ups_timeline(ups.pk, limit)


@register.simple_tag
def open_alarms(ups: Any) -> list[Alarm]:
    return list(Alarm.objects.filter(ups_id=ups.pk, cleared_at__isnull=True).order_by("-raised_at"))


@register.filter
def seconds(value: Any) -> str:
    """A timedelta as a short human duration."""
    if value is None:
        return "ongoing"
    total = int(value.total_seconds())
    if total < 90:
        return f"{total} s"
    if total < 5400:
        return f"{total // 60} min"
    if total < 172800:
        return f"{total / 3600:.1f} h"
    return f"{total / 86400:.1f} d"
