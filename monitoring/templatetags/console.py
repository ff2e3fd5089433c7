"""Template helpers of the operator console: the user's theme, tile values as the live
script formats them (static/js/tiles.js), data age."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from monitoring.preferences import preference_for

register = template.Library()


@register.simple_tag(takes_context=True)
def console_theme(context: template.Context) -> str:
    request = context.get("request")
    return preference_for(getattr(request, "user", None)).theme


def _num(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{round(value)} {unit}"


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{round(seconds / 60)} min"


@register.simple_tag
def tile_value(measurement: Any, column: str) -> str:
    """One value of a tile, e.g. "Load 41 %". Must match `formatValue` in tiles.js."""
    m = measurement
    if column == "load":
        return f"Load {_num(m.load_pct if m else None, '%')}"
    if column == "charge":
        return f"Charge {_num(m.charge_pct if m else None, '%')}"
    if column == "runtime":
        return f"Runtime {_minutes(m.runtime_remaining_s if m else None)}"
    if column == "on_battery":
        seconds = m.seconds_on_battery if m else None
        return f"On battery {_minutes(seconds)}" if seconds else ""
    return ""


@register.filter
def data_age(since: datetime | None) -> str:
    """ "no data for 12 min" for a comm-lost tile. Must match `formatAge` in tiles.js."""
    if since is None:
        return "no data yet"
    seconds = (timezone.now() - since).total_seconds()
    if seconds < 90:
        return f"no data for {seconds:.0f} s"
    if seconds < 5400:
        return f"no data for {seconds / 60:.0f} min"
    if seconds < 172800:
        return f"no data for {seconds / 3600:.1f} h"
    return f"no data for {seconds / 86400:.0f} days"
