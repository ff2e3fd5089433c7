"""Each transport against a real receiver on loopback: an SMTP server, an HTTP
server, a program run, and pop-ups through Channels' WebSocket communicator."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from notifications.choices import ChannelKind, State, Trigger
from notifications.consumers import PopupConsumer
from notifications.models import Notification
from notifications.outbox import plan_pending
from notifications.sender import create_test, deliver_due, deliver_one
from notifications.transports.webhook import SIGNATURE_HEADER, verify
from tests.console.ws import WebsocketClient
from tests.factories import SiteFactory, UpsFactory, UserFactory
from tests.notifications.factories import (
    T0,
    ChannelFactory,
    RecipientFactory,
    make_rule,
    raise_alarm,
)


def alarm_for(recipient: Any, channel: Any, **rule: Any) -> Any:
    make_rule([(Trigger.IMMEDIATE, 0)], [(recipient, channel)], **rule)
    ups = UpsFactory.create(name="ups-hq-1", site=SiteFactory.create(name="Head office"))
    return raise_alarm(ups, T0)


@pytest.mark.django_db
def test_email_over_real_smtp(smtp, alice, email_channel) -> None:
    alarm = alarm_for(alice, email_channel)
    plan_pending(T0)
    deliver_due(T0)
    (msg,) = smtp.messages
    assert smtp.envelopes == [["alice@example.org"]]
    assert msg["Subject"] == "[WARNING] On battery - ups-hq-1 @ Head office (Raised)"
    text, html = (p.get_payload(decode=True).decode() for p in msg.walk() if not p.is_multipart())
    url = f"http://unms.test/ups/{alarm.ups_id}/"
    assert url in text
    assert f'href="{url}"' in html
    assert Notification.objects.get().state == State.SENT


@pytest.mark.django_db
def test_webhook_posts_signed_json(webhook, alice) -> None:
    channel = ChannelFactory.create(kind=ChannelKind.WEBHOOK, url=webhook.url, secret="s3cret")
    alarm = alarm_for(alice, channel)
    plan_pending(T0)
    deliver_due(T0)
    ((headers, body),) = webhook.requests
    assert verify("s3cret", headers[SIGNATURE_HEADER], body)
    assert not verify("wrong", headers[SIGNATURE_HEADER], body)
    payload = json.loads(body)
    assert payload["version"] == 1
    assert payload["type"] == "alarm"
    assert payload["alarms"][0]["alarm_id"] == alarm.pk
    assert payload["alarms"][0]["ups"] == "ups-hq-1"
    row = Notification.objects.get()
    assert (row.state, row.result["status"]) == (State.SENT, 200)


@pytest.fixture
def script(tmp_path: Path) -> Any:
    def write(body: str) -> str:
        path = tmp_path / "notify.py"
        path.write_text(f"#!{sys.executable}\n{body}")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return str(path)

    return write


@pytest.mark.django_db
def test_program_gets_args_env_and_stdin_without_a_shell(script, tmp_path, alice) -> None:
    out = tmp_path / "seen.json"
    path = script(
        "import json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'env': {{k: v for k, v in os.environ.items()}},"
        f" 'stdin': json.load(sys.stdin)}}, open({str(out)!r}, 'w'))\n"
        "print('paged'); sys.exit(0)\n"
    )
    channel = ChannelFactory.create(
        kind=ChannelKind.PROGRAM,
        program_path=path,
        program_args=["--ups", "$ups", "--text", "$message", "$recipient_address"],
    )
    alarm = alarm_for(alice, channel)
    # Alarm text partly comes from SNMP agents: shell syntax must stay one plain argument.
    alarm.message = "x; rm -rf / $(reboot) `id`"
    alarm.save()
    plan_pending(T0)
    deliver_due(T0)
    seen = json.loads(out.read_text())
    assert seen["argv"] == [
        "--ups",
        "ups-hq-1",
        "--text",
        "x; rm -rf / $(reboot) `id`",
        "alice@example.org",
    ]
    assert seen["env"]["UNMS_SEVERITY"] == "warning"
    assert seen["env"]["UNMS_ALARM_ID"] == str(alarm.pk)
    assert "DJANGO_SECRET_KEY" not in seen["env"]
    assert "DATABASE_URL" not in seen["env"]
    assert seen["stdin"]["alarms"][0]["kind"] == "OnBattery"
    row = Notification.objects.get()
    assert (row.state, row.result) == (State.SENT, {"exit_code": 0, "output": "paged\n"})


@pytest.mark.django_db
def test_program_exit_code_is_recorded(script, alice) -> None:
    channel = ChannelFactory.create(
        kind=ChannelKind.PROGRAM, program_path=script("print('no modem'); raise SystemExit(3)")
    )
    row = create_test(alice, channel, T0)
    deliver_one(row.pk, T0)
    row.refresh_from_db()
    assert (row.state, row.last_error, row.result) == (
        State.PENDING,
        "exited with 3",
        {"exit_code": 3, "output": "no modem\n"},
    )


@pytest.mark.django_db(transaction=True)
async def test_popup_reaches_every_session_and_ack_closes_all() -> None:
    user = await sync_to_async(UserFactory.create)()
    other = await sync_to_async(UserFactory.create)()
    recipient = await sync_to_async(RecipientFactory.create)(user=user)
    channel = await sync_to_async(ChannelFactory.create)(kind=ChannelKind.POPUP)

    async def session(u: Any) -> WebsocketClient:
        c = WebsocketClient(PopupConsumer.as_asgi(), "/ws/notifications/")
        c.scope["user"] = u
        connected, _ = await c.connect()
        assert connected
        return c

    tab1, tab2, stranger = await session(user), await session(user), await session(other)
    await sync_to_async(alarm_for)(recipient, channel)
    await sync_to_async(plan_pending)(T0)
    await sync_to_async(deliver_due)(T0)
    shown1, shown2 = await tab1.receive_json_from(), await tab2.receive_json_from()
    assert shown1 == shown2
    assert shown1["type"] == "popup.show"
    popup = shown1["popup"]
    assert popup["subject"] == "[WARNING] On battery - ups-hq-1 @ Head office (Raised)"
    assert popup["alarms"][0]["ups"] == "ups-hq-1"
    assert await stranger.receive_nothing()

    # A page opened later (or reloaded) still gets it: it stays until acknowledged.
    tab3 = await session(user)
    assert (await tab3.receive_json_from())["popup"]["ids"] == popup["ids"]

    await tab1.send_json_to({"type": "ack", "ids": popup["ids"]})
    for tab in (tab1, tab2, tab3):
        assert await tab.receive_json_from() == {"type": "popup.dismiss", "ids": popup["ids"]}
    tab4 = await session(user)
    assert await tab4.receive_nothing()
    for c in (tab1, tab2, tab3, tab4, stranger):
        await c.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_popup_refuses_anonymous() -> None:
    from django.contrib.auth.models import AnonymousUser

    c = WebsocketClient(PopupConsumer.as_asgi(), "/ws/notifications/")
    c.scope["user"] = AnonymousUser()
    connected, _ = await c.connect()
    assert not connected
