"""The console's WebSocket: authentication, origin check, snapshot, group fan-out."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client

from alarms.live import after_commit
from monitoring import live
from monitoring.choices import UpsState
from monitoring.consumers import CLOSE_UNAUTHENTICATED
from tests.alarms.factories import OpenAlarmFactory
from tests.console.ws import WebsocketClient
from tests.factories import UpsStatusFactory, UserFactory
from unms.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def session_cookie(user: User) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={client.cookies[name].value}".encode())


async def connect(user: User | None, path: str = "/ws/fleet/", origin: Any = ORIGIN) -> Any:
    headers = [origin] if origin else []
    if user is not None:
        headers.append(await sync_to_async(session_cookie)(user))
    communicator = WebsocketClient(application, path, headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_an_anonymous_socket_is_closed_with_4401() -> None:
    communicator, connected = await connect(None)
    assert connected  # accepted only to say why: a refused handshake reads as 1006
    message = await communicator.receive_output()
    assert message == {"type": "websocket.close", "code": CLOSE_UNAUTHENTICATED}


async def test_a_foreign_origin_is_refused(operator: User) -> None:
    communicator, connected = await connect(operator, origin=(b"origin", b"http://evil.test"))
    assert not connected
    await communicator.disconnect()


async def test_no_origin_is_refused(operator: User) -> None:
    _, connected = await connect(operator, origin=None)
    assert not connected


async def test_a_logged_in_console_gets_a_snapshot_then_pushes(operator: User) -> None:
    status = await sync_to_async(UpsStatusFactory.create)(state=UpsState.WARNING)
    communicator, connected = await connect(operator)
    assert connected

    snapshot = await communicator.receive_json_from()
    assert snapshot["type"] == "fleet.snapshot"
    assert [(u["ups_id"], u["state"]) for u in snapshot["upses"]] == [(status.ups_id, "warning")]
    assert {"alarms", "flood", "can_acknowledge"} <= set(snapshot)

    await sync_to_async(live.push_state)(status.ups_id)
    pushed = await communicator.receive_json_from()
    assert pushed["type"] == "ups.state"
    assert pushed["ups_id"] == status.ups_id
    assert set(pushed) == set(live.UpsStatePayload.__annotations__)
    await communicator.disconnect()


async def test_every_console_gets_the_push(operator: User) -> None:
    status = await sync_to_async(UpsStatusFactory.create)()
    other = await sync_to_async(UserFactory.create)(username="other")
    consoles = [(await connect(u))[0] for u in (operator, other, operator)]
    for c in consoles:
        await c.receive_json_from()  # snapshot

    await sync_to_async(live.push_state)(status.ups_id)

    for c in consoles:
        assert (await c.receive_json_from())["ups_id"] == status.ups_id
        await c.disconnect()


async def test_the_ups_socket_hears_only_its_ups(operator: User) -> None:
    mine = await sync_to_async(UpsStatusFactory.create)()
    other = await sync_to_async(UpsStatusFactory.create)()
    communicator, _ = await connect(operator, f"/ws/ups/{mine.ups_id}/")
    snapshot = await communicator.receive_json_from()
    assert [u["ups_id"] for u in snapshot["upses"]] == [mine.ups_id]

    await sync_to_async(live.push_state)(other.ups_id)
    await sync_to_async(live.push_state)(mine.ups_id)

    assert (await communicator.receive_json_from())["ups_id"] == mine.ups_id
    assert await communicator.receive_nothing()
    await communicator.disconnect()


async def test_alarm_changes_are_pushed_with_the_live_list(operator: User) -> None:
    alarm = await sync_to_async(OpenAlarmFactory.create)()
    await sync_to_async(UpsStatusFactory.create)(ups=alarm.ups, state=UpsState.WARNING)
    communicator, _ = await connect(operator)
    snapshot = await communicator.receive_json_from()
    assert [a["id"] for a in snapshot["alarms"]] == [alarm.pk]
    assert snapshot["alarms"][0]["unacked"] is True

    await sync_to_async(after_commit)([alarm.ups_id])  # outside a transaction: at once

    message = await communicator.receive_json_from()
    assert message["type"] == "alarms.ups"
    assert message["ups_id"] == alarm.ups_id
    assert [a["id"] for a in message["alarms"]] == [alarm.pk]
    assert message["flood"]["threshold"] == 10
    assert (await communicator.receive_json_from())["type"] == "ups.state"
    await communicator.disconnect()


async def test_a_console_may_ask_for_a_fresh_snapshot(operator: User) -> None:
    communicator, _ = await connect(operator)
    await communicator.receive_json_from()
    await communicator.send_json_to({"type": "snapshot"})
    assert (await communicator.receive_json_from())["type"] == "fleet.snapshot"
    await communicator.disconnect()


async def test_a_worker_push_reaches_the_console_through_redis(
    operator: User, settings: Any, redis_url: str
) -> None:
    # The Celery path: the same `push`, from sync code with no running loop, through
    # channels-redis to a consumer on the web server's loop.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": f"unms-test-{uuid.uuid4().hex}"},
        }
    }
    status = await sync_to_async(UpsStatusFactory.create)()
    communicator, _ = await connect(operator)
    await communicator.receive_json_from()

    await sync_to_async(live.push_state, thread_sensitive=False)(status.ups_id)

    assert (await communicator.receive_json_from(timeout=5))["ups_id"] == status.ups_id
    await communicator.disconnect()
