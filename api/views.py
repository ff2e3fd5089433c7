"""Read-only JSON API (docs/api.md, /api/openapi.json). Thin: queries live in
`monitoring.fleet`, `monitoring.trends` and `alarms.filters`, the shapes in `serialize`."""

from __future__ import annotations

import csv
from collections import Counter
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from accounts.roles import restrict
from alarms.filters import AlarmFilterForm, filter_alarms, paginate, sorted_alarms
from alarms.models import Alarm
from alarms.scope import scoped_form, visible_alarms
from api import serialize
from api.auth import api_view
from monitoring.choices import UpsState
from monitoring.models import Ups
from monitoring.trends import BadWindow, Window, chart_data, csv_rows, iso, parse_window

# Episodes shaded on one chart at most: a chattering alarm must not bloat the payload.
MAX_EPISODES = 500
MAX_ALARM_PAGE = 500


def _upses(user: Any) -> Any:
    """The UPSs the caller sees: the token's user's scope (accounts.roles)."""
    qs = Ups.objects.select_related("site__region", "status__measurement")
    return restrict(user, qs, "site").order_by("site__name", "name")


def _bad_request(message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=400)


@api_view
def fleet(request: HttpRequest) -> JsonResponse:
    """Every UPS with its state and key values; ?state=, ?site= and ?region= (ids) filter."""
    qs = _upses(request.user)
    for param, lookup in (("site", "site_id"), ("region", "site__region_id")):
        if value := request.GET.get(param):
            if not value.isdigit():
                return _bad_request(f"{param} must be an id")
            qs = qs.filter(**{lookup: int(value)})
    rows = [serialize.ups_summary(u) for u in qs]
    if state := request.GET.get("state"):
        if state not in UpsState.values:
            return _bad_request(f"state must be one of {', '.join(UpsState.values)}")
        rows = [r for r in rows if r["state"] == state]
    counts = Counter(r["state"] for r in rows)
    return JsonResponse(
        {
            "generated_at": iso(timezone.now()),
            "counts": {s.value: counts.get(s.value, 0) for s in UpsState},
            "upses": rows,
        }
    )


@api_view
def ups_detail(request: HttpRequest, pk: int) -> JsonResponse:
    ups = get_object_or_404(_upses(request.user), pk=pk)
    data = serialize.ups_detail(ups)
    data["links"] = {
        "readings": reverse("api:readings", args=[pk]),
        "readings_csv": reverse("api:readings-csv", args=[pk]),
        "alarms": reverse("api:alarms") + f"?ups={pk}",
    }
    return JsonResponse(data)


def episodes(ups: Ups, window: Window) -> list[dict[str, Any]]:
    """Alarms of `ups` that overlap the window (open ones run to its end)."""
    qs = (
        Alarm.objects.filter(ups_id=ups.pk, raised_at__lt=window.end)
        .filter(Q(cleared_at__isnull=True) | Q(cleared_at__gt=window.start))
        .order_by("raised_at")[:MAX_EPISODES]
    )
    return [serialize.episode(a) for a in qs]


def _readings(request: HttpRequest, pk: int) -> tuple[Ups, dict[str, Any]] | JsonResponse:
    ups = get_object_or_404(_upses(request.user), pk=pk)
    try:
        window = parse_window(request.GET.dict())
    except BadWindow as exc:
        return _bad_request(str(exc))
    data = chart_data(ups, window)
    data["alarms"] = episodes(ups, window)
    return ups, data


@api_view
def readings(request: HttpRequest, pk: int) -> JsonResponse:
    """Downsampled series of one UPS (the charts' data): ?range=24h or ?start=&end=."""
    result = _readings(request, pk)
    if isinstance(result, JsonResponse):
        return result
    return JsonResponse(result[1])


@api_view
def readings_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The same series as CSV: one row per bucket, min/avg/max columns per series."""
    result = _readings(request, pk)
    if isinstance(result, JsonResponse):
        return result
    ups, data = result
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in ups.name)
    response["Content-Disposition"] = (
        f'attachment; filename="{safe}-{data["range"]["key"]}-{stamp}.csv"'
    )
    csv.writer(response).writerows(csv_rows(data))
    return response


@api_view
def alarms(request: HttpRequest) -> JsonResponse:
    """Alarm search with the history page's filters; keyset pages via `next`."""
    form = scoped_form(AlarmFilterForm(request.GET), request.user)
    if not form.is_valid():
        return _bad_request("invalid filter", errors=form.errors.get_json_data())
    try:
        limit = min(
            int(request.GET.get("limit") or settings.UNMS["ALARMS"]["PAGE_SIZE"]), MAX_ALARM_PAGE
        )
    except ValueError:
        return _bad_request("limit must be a number")
    qs, sort = sorted_alarms(
        filter_alarms(form.cleaned_data, visible_alarms(request.user)), form.cleaned_data["sort"]
    )
    page = paginate(
        qs, sort, request.GET.get("after"), max(limit, 1), settings.UNMS["ALARMS"]["COUNT_CAP"]
    )
    next_url = None
    if page.next_cursor:
        query = request.GET.copy()
        query["after"] = page.next_cursor
        next_url = f"{request.path}?{query.urlencode()}"
    return JsonResponse(
        {
            "count": page.count,
            "count_capped": page.count_capped,
            "next": next_url,
            "results": [serialize.alarm(a) for a in page.rows],
        }
    )
