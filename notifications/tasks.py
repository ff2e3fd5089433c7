"""Celery tasks (IDs in, JSON messages). They never retry: retries with back-off live
in the outbox (`notifications.sender`), which survives a Redis restart. A lost task
message costs nothing either: the `deliver_due` sweep (PERIODIC_TASKS) finds the row.
In the embedded mode the same functions run in-process: `.delay()` is eager and the
monitor loop calls the periodic ones.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import transaction

from notifications import outbox, sender

# The project's Celery app must be the current one before `.delay()` is called from a
# web request (eager in the embedded mode, Redis otherwise); unms/__init__.py does not
# import it yet, so the module that sends tasks does.
from unms.celery import app as _celery_app  # noqa: F401


@shared_task(ignore_result=True)
def plan_notifications() -> dict[str, Any]:
    """Alarm events and timers -> outbox rows; wakes the sender when some are due."""
    counts = outbox.plan_pending()
    if counts["created"]:
        transaction.on_commit(deliver_due.delay)
    return counts


@shared_task(ignore_result=True)
def deliver_due() -> dict[str, int]:
    outcome = sender.deliver_due()
    return {"sent": outcome.sent, "retried": outcome.retried, "failed": outcome.failed}


@shared_task(ignore_result=True)
def deliver_notification(notification_id: int) -> None:
    """Send one row now (a resend, a test) instead of waiting for the sweep."""
    sender.deliver_one(notification_id)
