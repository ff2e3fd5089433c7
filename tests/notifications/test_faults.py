"""Faults: each test ends with every notification delivered exactly once or visibly
failed. The clock is the test's; servers are real and on loopback."""

from __future__ import annotations

import stat
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from notifications.choices import ChannelKind, State, Trigger
from notifications.models import Notification
from notifications.outbox import plan_pending
from notifications.sender import claim, deliver_due
from tests.factories import UpsFactory
from tests.notifications.conftest import SmtpServer
from tests.notifications.factories import T0, ChannelFactory, make_rule, raise_alarm

pytestmark = pytest.mark.django_db


def at(seconds: float) -> Any:
    return T0 + timedelta(seconds=seconds)


def one_alarm(*targets: Any) -> None:
    make_rule([(Trigger.IMMEDIATE, 0)], list(targets))
    raise_alarm(UpsFactory.create(), T0)
    plan_pending(T0)


def states() -> list[tuple[str, int]]:
    return list(Notification.objects.order_by("id").values_list("state", "attempts"))


def test_smtp_down_ten_minutes_then_back_delivers_once(settings, alice, email_channel) -> None:
    settings.NOTIFY = {**settings.NOTIFY, "MAX_ATTEMPTS": 10}
    server = SmtpServer()  # not started: connection refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.sink.port
    one_alarm((alice, email_channel))
    try:
        for t in range(0, 1200, 10):  # the sweep every 10 s for 20 minutes
            if t == 600:
                server.start()
            deliver_due(at(t))
    finally:
        server.stop()
    row = Notification.objects.get()
    # Back-off 30, 60, 120, 240, 480 s: attempts at 0, 30, 90, 210, 450, then 930 s.
    assert (row.state, row.attempts, row.sent_at) == (State.SENT, 6, at(930))
    assert len(server.sink.messages) == 1


def test_smtp_refusing_a_recipient_fails_visibly_and_others_still_get_it(
    smtp, alice, bob, email_channel
) -> None:
    smtp.refuse.add("bob@example.org")
    one_alarm((alice, email_channel), (bob, email_channel))
    deliver_due(at(1))
    rows = {n.recipient.name: n for n in Notification.objects.select_related("recipient")}
    assert rows["alice"].state == State.SENT
    assert rows["bob"].state == State.FAILED  # 550 is final: no pointless retries
    assert "refused" in rows["bob"].last_error
    assert smtp.envelopes == [["alice@example.org"]]


def test_webhook_500_is_retried_until_it_answers(webhook, alice) -> None:
    webhook.statuses = [500, 502]
    one_alarm((alice, ChannelFactory.create(kind=ChannelKind.WEBHOOK, url=webhook.url)))
    for t in (0, 10, 30, 60, 90, 200):
        deliver_due(at(t))
    assert states() == [(State.SENT, 3)]
    assert len(webhook.requests) == 3
    assert Notification.objects.get().last_error == ""


def test_webhook_always_500_ends_failed_after_the_last_attempt(webhook, alice) -> None:
    webhook.statuses = [500] * 10
    one_alarm((alice, ChannelFactory.create(kind=ChannelKind.WEBHOOK, url=webhook.url)))
    for t in range(0, 3000, 15):
        deliver_due(at(t))
    row = Notification.objects.get()
    assert (row.state, row.attempts, row.last_error) == (
        State.FAILED,
        5,
        "webhook answered HTTP 500",
    )
    assert len(webhook.requests) == 5


def test_webhook_404_fails_at_once(webhook, alice) -> None:
    webhook.statuses = [404]
    one_alarm((alice, ChannelFactory.create(kind=ChannelKind.WEBHOOK, url=webhook.url)))
    deliver_due(at(0))
    deliver_due(at(3600))
    assert states() == [(State.FAILED, 1)]


def test_program_hanging_past_its_timeout_is_killed_and_fails(
    settings, tmp_path: Path, alice
) -> None:
    settings.NOTIFY = {**settings.NOTIFY, "MAX_ATTEMPTS": 2}
    pids = tmp_path / "pids"
    path = tmp_path / "hang.py"
    path.write_text(
        f"#!{sys.executable}\nimport os, subprocess, time\n"
        "child = subprocess.Popen(['sleep', '60'])\n"
        f"open({str(pids)!r}, 'a').write(f'{{os.getpid()}} {{child.pid}}\\n')\n"
        "time.sleep(60)\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    channel = ChannelFactory.create(kind=ChannelKind.PROGRAM, program_path=str(path), timeout_s=1)
    one_alarm((alice, channel))
    deliver_due(at(0))
    deliver_due(at(30))
    row = Notification.objects.get()
    assert (row.state, row.attempts, row.last_error) == (State.FAILED, 2, "timed out after 1 s")
    # The program and what it started are gone (killed; at most an unreaped zombie).
    assert not [pid for pid in pids.read_text().split() if running(int(pid))]


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_worker_killed_between_claim_and_send_is_retried_after_the_lease(
    smtp, alice, email_channel
) -> None:
    one_alarm((alice, email_channel))
    rows = claim(at(0), 100)  # a worker claims ... and dies before sending
    assert [r.state for r in rows] == [State.SENDING]
    deliver_due(at(10))  # another worker: the lease still holds, nothing to do
    assert smtp.messages == []
    deliver_due(at(301))  # lease (300 s) expired: claimed again and sent
    assert states() == [(State.SENT, 2)]
    assert len(smtp.messages) == 1
    deliver_due(at(1000))
    assert len(smtp.messages) == 1


def test_two_planners_and_two_senders_send_once(smtp, alice, email_channel) -> None:
    make_rule([(Trigger.IMMEDIATE, 0)], [(alice, email_channel)])
    raise_alarm(UpsFactory.create(), T0)
    plan_pending(T0)
    # A second planner that saw the same events (before they were marked) plans the same
    # keys: the unique constraint makes its inserts nothing.
    from alarms.models import Alarm
    from notifications.outbox import _insert, facts_of, load_rules
    from notifications.planner import plan

    alarms = list(Alarm.objects.select_related("ups__site"))
    dues = plan([facts_of(a) for a in alarms], load_rules(), T0)
    _insert(dues, {a.pk: a for a in alarms}, T0)
    assert Notification.objects.count() == 1
    first, second = claim(at(0), 10), claim(at(0), 10)
    assert (len(first), len(second)) == (1, 0)
