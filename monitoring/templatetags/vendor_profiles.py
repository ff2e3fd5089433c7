"""`{% profile_panel ups %}`: profile (and why), suspicious values, coverage gaps and
sensor points of one UPS, for the UPS page (templates/monitoring/_profile_panel.html)."""

from __future__ import annotations

from typing import Any

from django import template

from monitoring.models import SensorPoint, Ups, UpsProfileState

register = template.Library()


@register.inclusion_tag("monitoring/_profile_panel_body.html")
def profile_panel(ups: Ups) -> dict[str, Any]:
    state = UpsProfileState.objects.filter(ups=ups).first()
    return {
        "ups": ups,
        "state": state,
        "pinned": ups.profile,
        "points": list(SensorPoint.objects.filter(ups=ups, enabled=True)),
    }
