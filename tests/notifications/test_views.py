"""The notification log (admins only), resend, send a test; and the end-to-end path
from a recorded poll through the alarm lifecycle to an e-mail, via the periodic tasks."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from monitoring.choices import OutputSource
from monitoring.recorder import record
from notifications import tasks
from notifications.choices import ChannelKind, State, Trigger
from notifications.models import Notification
from notifications.sender import create_test
from tests.alarms.conftest import ON_MAINS
from tests.factories import AdminFactory, UpsFactory
from tests.notifications.factories import T0, ChannelFactory, make_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(AdminFactory.create())
    return client


def test_log_is_for_staff_only(operator_client: Client) -> None:
    response = operator_client.get(reverse("notifications:log"))
    assert response.status_code == 302


def test_log_filters_by_state(admin_client: Client, alice, email_channel) -> None:
    sent = create_test(alice, email_channel, T0)
    failed = create_test(alice, email_channel, T0)
    Notification.objects.filter(pk=sent.pk).update(state=State.SENT)
    Notification.objects.filter(pk=failed.pk).update(state=State.FAILED, last_error="SMTP 554")
    page = admin_client.get(reverse("notifications:log"), {"state": "failed"})
    assert list(page.context["page"]) == [Notification.objects.get(pk=failed.pk)]
    assert b"SMTP 554" in page.content


def test_resend_a_failed_one(admin_client: Client, alice, email_channel) -> None:
    row = create_test(alice, email_channel, T0)
    Notification.objects.filter(pk=row.pk).update(state=State.FAILED, attempts=10)
    response = admin_client.post(reverse("notifications:resend", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.SENT, 1)  # eager in the embedded mode
    assert mail.outbox[0].subject == "[UNMS] Test message"


def test_send_a_test_to_a_webhook(admin_client: Client, webhook, alice) -> None:
    channel = ChannelFactory.create(kind=ChannelKind.WEBHOOK, url=webhook.url)
    admin_client.post(reverse("notifications:test"), {"recipient": alice.pk, "channel": channel.pk})
    assert Notification.objects.get().state == State.SENT
    assert b'"type": "test"' in webhook.requests[0][1]


def test_poll_to_email_through_the_periodic_tasks(
    django_capture_on_commit_callbacks: Any, alice, email_channel
) -> None:
    """AFTER_POLL raises the alarm; the PERIODIC_TASKS rows plan and deliver it."""
    make_rule([(Trigger.IMMEDIATE, 0), (Trigger.ON_CLEAR, 0)], [(alice, email_channel)])
    ups = UpsFactory.create(name="ups-e2e")
    on_battery = replace(
        ON_MAINS, output_source=OutputSource.BATTERY, seconds_on_battery=60, alarms=("OnBattery",)
    )
    with django_capture_on_commit_callbacks(execute=True):
        record(ups, on_battery, T0)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.plan_notifications()  # wakes deliver_due after commit (eager here)
    assert [m.subject for m in mail.outbox] == [
        f"[WARNING] On battery - ups-e2e @ {ups.site.name} (Raised)"
    ]
    with django_capture_on_commit_callbacks(execute=True):
        record(ups, ON_MAINS, T0 + timedelta(seconds=120))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.plan_notifications()
    assert mail.outbox[-1].subject.endswith("(Cleared)")
