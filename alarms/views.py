"""Alarm history, alarm detail, acknowledge/comment (POST) and CSV export. Thin: the
queries live in `alarms.filters`, writes in `alarms.lifecycle`."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from alarms import lifecycle
from alarms.export import csv_rows, in_thread_chunks
from alarms.filters import DEFAULT_VIEW, AlarmFilterForm, filter_alarms, paginate, sorted_alarms
from alarms.permissions import can_acknowledge
from alarms.scope import scoped_form, visible_alarms

MAX_COMMENT = 1000


def _form(request: HttpRequest) -> AlarmFilterForm:
    data = request.GET.copy()
    if not any(k for k in data if k not in ("after",)):
        data.update(DEFAULT_VIEW)
    return scoped_form(AlarmFilterForm(data), request.user)


def _conf(key: str) -> int:
    return int(settings.UNMS["ALARMS"][key])


@login_required
@require_GET
def alarm_list(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    page = None
    if form.is_valid():
        qs, sort = sorted_alarms(
            filter_alarms(form.cleaned_data, visible_alarms(request.user)),
            form.cleaned_data["sort"],
        )
        page = paginate(qs, sort, request.GET.get("after"), _conf("PAGE_SIZE"), _conf("COUNT_CAP"))
    query = request.GET.copy()
    query.pop("after", None)
    if not query:
        query.update(DEFAULT_VIEW)
    return render(
        request,
        "alarms/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_acknowledge": can_acknowledge(request.user),
        },
    )


@login_required
@require_GET
def alarm_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = _form(request)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    qs, _ = sorted_alarms(
        filter_alarms(form.cleaned_data, visible_alarms(request.user)), form.cleaned_data["sort"]
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    rows = csv_rows(qs)
    # Under an ASGI server (production, the demo) stream asynchronously, chunk by chunk;
    # a WSGI server (and Django's test client) iterates the sync generator itself.
    content = in_thread_chunks(rows) if isinstance(request, ASGIRequest) else rows
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="alarms-{stamp}.csv"'
    return response


@login_required
@require_GET
def alarm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alarm = get_object_or_404(
        visible_alarms(request.user).select_related("ups__site", "acknowledged_by"), pk=pk
    )
    events = alarm.events.select_related("user").order_by("at", "id")
    return render(
        request,
        "alarms/detail.html",
        {"alarm": alarm, "events": events, "can_acknowledge": can_acknowledge(request.user)},
    )


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("alarms:list")
    return HttpResponseRedirect(target)


@login_required
@require_POST
def alarm_acknowledge(request: HttpRequest) -> HttpResponse:
    """Single (one `alarm` value) or bulk (several) acknowledgement, optional comment."""
    if not can_acknowledge(request.user):
        raise PermissionDenied("You may not acknowledge alarms.")
    try:
        ids = sorted({int(v) for v in request.POST.getlist("alarm")})
    except ValueError:
        return HttpResponse("bad alarm id", status=400, content_type="text/plain")
    text = request.POST.get("comment", "").strip()[:MAX_COMMENT]
    if not ids:
        messages.warning(request, "No alarm selected.")
        return _back(request)
    # Ids of alarms outside the user's scope are ignored, like ids that do not exist.
    ids = list(visible_alarms(request.user).filter(pk__in=ids).values_list("pk", flat=True))
    changed = lifecycle.acknowledge(ids, _actor(request), text) if ids else 0
    messages.success(request, f"{changed} alarm(s) acknowledged.")
    return _back(request)


def _actor(request: HttpRequest) -> User:
    """The user of a @login_required view, as the model alarm events name."""
    user = request.user
    if not isinstance(user, User):  # login_required lets no anonymous user through
        raise PermissionDenied
    return user


@login_required
@require_POST
def alarm_comment(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_acknowledge(request.user):
        raise PermissionDenied("You may not comment alarms.")
    alarm = get_object_or_404(visible_alarms(request.user), pk=pk)
    text = request.POST.get("comment", "").strip()[:MAX_COMMENT]
    if text:
        lifecycle.comment(alarm, _actor(request), text)
        messages.success(request, "Comment added.")
    return HttpResponseRedirect(alarm.get_absolute_url())
