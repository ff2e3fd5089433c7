"""Fleet page and UPS page. Thin: queries live in `monitoring.fleet`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

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
        {"ups": ups, "status": status, "measurement": status.measurement if status else None},
    )
