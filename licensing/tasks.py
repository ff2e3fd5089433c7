"""Expiry warnings by e-mail to the administrators (settings.PERIODIC_TASKS)."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

#: Days before expiry at which the administrators are told; then once more when it expires.
NOTICE_DAYS = (30, 14, 7, 1, 0)


def administrator_emails() -> list[str]:
    from accounts.roles import GROUP_NAMES, Role

    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    admins = users.filter(is_superuser=True) | users.filter(
        groups__name=GROUP_NAMES[Role.ADMINISTRATOR]
    )
    return sorted(set(admins.values_list("email", flat=True)))


def due_notice(expires: dt.date, today: dt.date) -> int | None:
    """The warning threshold (days) due today, or None. -1 means "has expired"."""
    days = (expires - today).days
    if days < 0:
        return -1
    due = [d for d in NOTICE_DAYS if days <= d]
    return min(due) if due else None


@shared_task(ignore_result=True)
def notify_expiry(today: str | None = None) -> int:
    """Send the due expiry warning once; returns how many e-mails were sent."""
    from licensing.models import LicenceState
    from licensing.service import status

    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    current = status(day)
    if current.licence is None or current.licence.expires is None:
        return 0
    expires = current.licence.expires
    threshold = due_notice(expires, day)
    if threshold is None:
        return 0
    with transaction.atomic():
        state = LicenceState.objects.select_for_update().get(pk=LicenceState.SINGLETON_ID)
        marker = state.notice_key(expires, threshold)
        if marker in state.notices_sent:
            return 0  # another beat/loop run already sent it
        LicenceState.objects.filter(pk=state.pk).update(notices_sent=[*state.notices_sent, marker])
        recipients = administrator_emails()
        if not recipients:
            logger.warning("licence expires %s: no administrator has an e-mail address", expires)
            return 0
        if threshold < 0:
            subject = f"UNMS licence expired on {expires:%Y-%m-%d}"
            body = (
                f"The UNMS licence ({current.licence.describe()}) expired on "
                f"{expires:%Y-%m-%d}. Monitoring goes on for every UPS already monitored, "
                f"but no UPS can be added or enabled beyond the free tier's "
                f"{current.limit} until a renewed key is installed. Now: {current.usage}."
            )
        else:
            subject = f"UNMS licence expires in {(expires - day).days} day(s)"
            body = (
                f"The UNMS licence ({current.licence.describe()}) expires on "
                f"{expires:%Y-%m-%d}. After that, monitoring goes on for every UPS already "
                f"monitored, but adding or enabling UPSs is limited to the free tier's 25. "
                f"Install a renewed key: Administration → Licence, or "
                f"manage.py install_licence. Now: {current.usage}."
            )
        # Sent after commit: a rolled-back marker must not leave a sent mail behind, and a
        # failed send is logged, not retried (the next threshold will try again).
        transaction.on_commit(lambda: _send(subject, body, recipients))
    return len(recipients)


def _send(subject: str, body: str, recipients: list[str]) -> None:
    try:
        send_mail(subject, body, None, recipients)
    except Exception:
        logger.exception("could not send the licence expiry warning")
