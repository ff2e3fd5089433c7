"""Fleet page and UPS page. Thin: queries live in `monitoring.fleet`."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from monitoring import trends
from monitoring.fleet import fleet_overview
from monitoring.models import Ups


@login_required
def fleet(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/fleet.html", {"fleet": fleet_overview()})


@login_required
def ups_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ups = get_object_or_404(
        Ups.objects.select_related("site__region", "status__measurement"), pk=pk
    )
    status = getattr(ups, "status", None)
    return render(
        request,
        "monitoring/ups_detail.html",
        {
            "ups": ups,
            "status": status,
            "measurement": status.measurement if status else None,
            "last_test": _last_self_test(ups.pk),
            # The chart table and ranges: the page lays out one figure per chart.
            "trend_charts": trends.CHARTS,
            "trend_ranges": list(trends.RANGES),
            "trend_default": trends.DEFAULT_RANGE,
        },
    )


# Alarm-log rows that say how the last self-test went (see alarms.choices.EventKind).
_SELF_TEST_EVENTS = ("test_started", "test_ended", "test_completed")


def _last_self_test(ups_id: int) -> Any:
    """The newest self-test event of the UPS, if the alarm log has one. Looked up by app
    label: `monitoring` never imports `alarms` (docs/architecture.md)."""
    try:
        event_model: Any = apps.get_model("alarms", "AlarmEvent")
    except LookupError:
        return None
    return (
        event_model.objects.filter(ups_id=ups_id)
        .filter(Q(kind__in=_SELF_TEST_EVENTS) | Q(condition="DiagnosticTestFailed"))
        .order_by("-at", "-id")
        .first()
    )
