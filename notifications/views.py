"""The notification log for administrators: filter by state, resend, send a test."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from notifications import sender, tasks
from notifications.choices import State
from notifications.models import Channel, Notification, Recipient

PAGE_SIZE = 50

staff_required = user_passes_test(lambda u: u.is_active and u.is_staff)


@staff_required
def notification_log(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.select_related("recipient", "channel").order_by(
        "-created_at", "-id"
    )
    filters = {
        "state": request.GET.get("state", ""),
        "channel": request.GET.get("channel", ""),
        "recipient": request.GET.get("recipient", ""),
    }
    if filters["state"] in State.values:
        rows = rows.filter(state=filters["state"])
    if filters["channel"].isdigit():
        rows = rows.filter(channel_id=int(filters["channel"]))
    if filters["recipient"].isdigit():
        rows = rows.filter(recipient_id=int(filters["recipient"]))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
    return render(
        request,
        "notifications/log.html",
        {
            "page": page,
            "filters": filters,
            "query": query,
            "states": State.choices,
            "channels": Channel.objects.all(),
            "recipients": Recipient.objects.all(),
            "resendable": sender.RESENDABLE,
        },
    )


@staff_required
@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(Notification, pk=pk)
    if sender.resend([row.pk]):
        tasks.deliver_notification.delay(row.pk)
        messages.success(request, f"Notification {row.pk} queued again.")
    else:
        messages.error(request, f"Notification {row.pk} is {row.get_state_display().lower()}.")
    return redirect(request.POST.get("next") or "notifications:log")


@staff_required
@require_POST
def send_test(request: HttpRequest) -> HttpResponse:
    recipient = get_object_or_404(Recipient, pk=request.POST.get("recipient"))
    channel = get_object_or_404(Channel, pk=request.POST.get("channel"))
    row = sender.create_test(recipient, channel)
    # Eager in the embedded mode: the outcome is known when the page reloads.
    tasks.deliver_notification.delay(row.pk)
    row.refresh_from_db()
    level = messages.success if row.state == State.SENT else messages.warning
    level(
        request,
        f"Test to {recipient} via {channel}: {row.get_state_display()}"
        + (f" ({row.last_error})" if row.last_error else ""),
    )
    return redirect("notifications:log")
