"""Dashboard, site maps, preferences and the UPS page. Thin: queries live in
`monitoring.fleet`, live payloads in `monitoring.live`, image rules in `monitoring.sitemaps`."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import restrict, visible_sites
from monitoring import trends
from monitoring.choices import UpsState
from monitoring.fleet import fleet_overview
from monitoring.models import TILE_VALUES, DefaultView, MapPosition, Site, SiteMap, Ups
from monitoring.preferences import PreferenceForm, preference_for
from monitoring.sitemaps import clamp_fraction, validate_image


def _console_context(request: HttpRequest) -> dict[str, Any]:
    pref = preference_for(request.user)
    columns = [c for c in (pref.columns or []) if c in TILE_VALUES]
    return {
        "pref": pref,
        "columns": columns,
        # The page's JavaScript reads these; json_script escapes them for HTML.
        "console_config": {
            "columns": columns,
            "states": {
                s.value: {"word": s.word, "label": s.label, "rank": s.rank} for s in UpsState
            },
            "upsUrl": reverse("ups-detail", args=[0]),
            "ackUrl": reverse("alarms:acknowledge"),
            "ackDoneUrl": reverse("console-messages"),
            "loginUrl": reverse("login"),
        },
        "all_states": sorted(UpsState, key=lambda s: -s.rank),
    }


@login_required
@require_GET
def fleet(request: HttpRequest) -> HttpResponse:
    """The live dashboard. `?view=all|problems` overrides the user's start page."""
    pref = preference_for(request.user)
    view = request.GET.get("view", "")
    if (
        not view
        and pref.default_view == DefaultView.MAP
        and pref.default_map_id
        and visible_sites(request.user).filter(pk=pref.default_map_id).exists()
    ):
        return redirect("site-map", pk=pref.default_map_id)
    if view not in (DefaultView.ALL, DefaultView.PROBLEMS):
        view = DefaultView.PROBLEMS if pref.default_view == DefaultView.PROBLEMS else "all"
    context = _console_context(request) | {"fleet": fleet_overview(request.user), "view": view}
    return render(request, "monitoring/fleet.html", context)


@login_required
@require_GET
def console_messages(request: HttpRequest) -> JsonResponse:
    """Where the dashboard's acknowledge POST lands (the alarms view redirects here):
    the queued messages as JSON, so they are shown once by the panel, not on a later page."""
    return JsonResponse({"messages": [str(m) for m in messages.get_messages(request)]})


# --- site maps ---------------------------------------------------------------------------


@login_required
@require_GET
def site_map(request: HttpRequest, pk: int) -> HttpResponse:
    # Outside the user's scope: 404, as for a site that does not exist.
    site = get_object_or_404(
        restrict(request.user, Site.objects.select_related("region"), ""), pk=pk
    )
    site_map_row = SiteMap.objects.filter(site=site).first()
    upses = list(
        Ups.objects.filter(site=site)
        .select_related("status", "status__measurement", "map_position")
        .order_by("name")
    )
    placed: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    for ups in upses:
        status = getattr(ups, "status", None)
        state = UpsState(status.state) if status and ups.enabled else UpsState.UNKNOWN
        position = getattr(ups, "map_position", None)
        entry = {"ups": ups, "state": state, "position": position}
        (placed if position else unplaced).append(entry)
    context = _console_context(request) | {
        "site": site,
        "site_map": site_map_row,
        "has_image": bool(site_map_row and site_map_row.image),
        "placed": placed,
        "unplaced": unplaced,
        "sites": visible_sites(request.user).order_by("name"),
        "max_mb": _max_mb(),
    }
    return render(request, "monitoring/site_map.html", context)


def _max_mb() -> int:
    from monitoring.sitemaps import max_bytes

    return max_bytes() // (1024 * 1024)


@staff_member_required
@require_POST
def site_map_position(request: HttpRequest, pk: int) -> JsonResponse:
    """Save where one UPS icon sits: JSON {"ups": id, "x": 0..1, "y": 0..1}, or
    {"ups": id, "x": null} to take it off the map."""
    site = get_object_or_404(Site, pk=pk)
    try:
        body = json.loads(request.body or b"{}")
        ups = Ups.objects.get(pk=int(body["ups"]), site=site)
    except (ValueError, KeyError, TypeError, Ups.DoesNotExist):
        return JsonResponse({"error": "unknown UPS for this site"}, status=400)
    if body.get("x") is None:
        MapPosition.objects.filter(ups=ups).delete()
        return JsonResponse({"ups": ups.pk, "placed": False})
    try:
        x, y = clamp_fraction(body["x"]), clamp_fraction(body["y"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "x and y must be numbers between 0 and 1"}, status=400)
    MapPosition.objects.update_or_create(ups=ups, defaults={"x": x, "y": y})
    return JsonResponse({"ups": ups.pk, "placed": True, "x": x, "y": y})


@staff_member_required
@require_POST
def site_map_upload(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(Site, pk=pk)
    row, _ = SiteMap.objects.get_or_create(site=site)
    if request.POST.get("remove"):
        _drop_image(row)
        messages.success(request, "Background image removed.")
        return redirect("site-map", pk=pk)
    upload = request.FILES.get("image")
    if upload is None:
        messages.error(request, "Choose an image file first.")
        return redirect("site-map", pk=pk)
    try:
        info = validate_image(upload)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("site-map", pk=pk)
    with transaction.atomic():
        old = row.image.name if row.image else ""
        row.image_type = info.mime
        row.image.save("upload", upload, save=False)
        row.save()
    if old and old != row.image.name:
        row.image.storage.delete(old)
    messages.success(request, "Background image saved.")
    return redirect("site-map", pk=pk)


def _drop_image(row: SiteMap) -> None:
    if row.image:
        row.image.delete(save=False)
    row.image_type = ""
    row.save()


@login_required
@require_GET
def site_map_image(request: HttpRequest, pk: int) -> FileResponse:
    """The floor plan, with the type checked at upload and nosniff: the browser never
    guesses, and a CSP forbids anything active should the bytes be read as a document."""
    row = restrict(request.user, SiteMap.objects.all(), "site").filter(site_id=pk).first()
    if row is None or not row.image or not row.image_type:
        raise Http404("no image for this site")
    try:
        handle = row.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404("image file missing") from exc
    response = FileResponse(handle, content_type=row.image_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = "inline"
    return response


# --- preferences -------------------------------------------------------------------------


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    pref = preference_for(request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST, instance=pref, user=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, "Preferences saved.")
            return redirect("preferences")
    else:
        form = PreferenceForm(instance=pref, user=request.user)
    return render(request, "monitoring/preferences.html", {"form": form, "pref": pref})


@login_required
@require_GET
def ups_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Outside the user's scope: 404, as for a UPS that does not exist.
    ups = get_object_or_404(
        restrict(
            request.user, Ups.objects.select_related("site__region", "status__measurement"), "site"
        ),
        pk=pk,
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
