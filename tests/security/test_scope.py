"""Region/site scope on every surface that shows UPS data (accounts.roles.restrict).

Two regions, Alpha and Bravo, one site and one UPS (with a status, a measurement and an
open alarm) in each. A user restricted to Alpha - by region, or by site - must see
Alpha's UPS and never Bravo's, on every page, export, API answer and WebSocket message;
administrators and unrestricted users see both.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from accounts.models import UserScope
from accounts.roles import Role
from alarms.choices import AlarmState
from alarms.live import after_commit
from alarms.models import Alarm
from api.models import ApiToken
from monitoring import live
from monitoring.choices import UpsState
from monitoring.consumers import CLOSE_FORBIDDEN
from monitoring.models import Region, Site, Ups, UpsStatus
from tests.alarms.factories import OpenAlarmFactory
from tests.console.ws import WebsocketClient
from tests.factories import MeasurementFactory, RegionFactory, SiteFactory, UpsFactory
from tests.security.conftest import client_for, make_user


@dataclass
class Branch:
    region: Region
    site: Site
    ups: Ups
    alarm: Alarm


@dataclass
class World:
    a: Branch
    b: Branch

    def __getitem__(self, key: str) -> Branch:
        return getattr(self, key)


def _branch(tag: str, with_alarm: bool = True) -> Branch:
    region = RegionFactory.create(name=f"Region {tag}")
    site = SiteFactory.create(name=f"Site {tag}", region=region)
    ups = UpsFactory.create(name=f"ups-{tag.lower()}-1", site=site)
    m = MeasurementFactory.create(ups=ups)
    UpsStatus.objects.create(ups=ups, state=UpsState.WARNING, measurement=m)
    if not with_alarm:
        return Branch(region, site, ups, Alarm())
    alarm = OpenAlarmFactory.create(
        ups=ups, message=f"{tag.lower()}-alarm-message", raised_at=timezone.now()
    )
    return Branch(region, site, ups, alarm)


@pytest.fixture
def world(db: None) -> World:
    return World(_branch("Alpha"), _branch("Bravo"))


def scoped_user(world: World, how: str) -> tuple[Any, bool]:
    """(user, restricted) for each kind of user the table runs as."""
    if how == "administrator":
        user = make_user(Role.ADMINISTRATOR, "boss")
        # An administrator with a scope row still sees everything.
        UserScope.objects.create(user=user).regions.add(world.a.region)
        return user, False
    if how == "unrestricted viewer":
        return make_user(Role.VIEWER, "everywhere"), False
    role = Role.OPERATOR if how.startswith("operator") else Role.VIEWER
    user = make_user(role, how.replace(" ", "-"))
    scope = UserScope.objects.create(user=user)
    if how.endswith("by region"):
        scope.regions.add(world.a.region)
    else:
        scope.sites.add(world.a.site)
    return user, True


USERS = [
    "operator by region",
    "viewer by site",
    "administrator",
    "unrestricted viewer",
]


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# --- the table: each surface says whether branch `k` is visible to the client ---------

Check = Callable[[Client, Client, World, str], bool]


def listing(
    url: Callable[[World], str], marker: Callable[[Branch], str], api: bool = False
) -> Check:
    """A page listing many UPSs: the branch is visible when its marker is in the answer."""

    def check(web: Client, token: Client, w: World, k: str) -> bool:
        response = (token if api else web).get(url(w))
        assert response.status_code == 200, response
        return marker(w[k]) in _text(response)

    return check


def detail(url: Callable[[Branch], str], api: bool = False) -> Check:
    """A page of one object: 200 when visible, 404 (as if it did not exist) when not."""

    def check(web: Client, token: Client, w: World, k: str) -> bool:
        response = (token if api else web).get(url(w[k]))
        assert response.status_code in (200, 404), response
        return response.status_code == 200

    return check


def ups_name(b: Branch) -> str:
    return b.ups.name


def alarm_message(b: Branch) -> str:
    return b.alarm.message


def site_name(b: Branch) -> str:
    return b.site.name


SURFACES: dict[str, Check] = {
    "dashboard": listing(lambda w: "/", ups_name),
    "dashboard region heading": listing(lambda w: "/", lambda b: b.region.name),
    "UPS page": detail(lambda b: f"/ups/{b.ups.pk}/"),
    "site map": detail(lambda b: f"/sites/{b.site.pk}/map/"),
    "site map's site list": listing(lambda w: f"/sites/{w.a.site.pk}/map/", site_name),
    "preferences' map choice": listing(lambda w: "/preferences/", site_name),
    "alarm history": listing(lambda w: "/alarms/?state=&sort=newest", alarm_message),
    "alarm history text search": listing(lambda w: "/alarms/?q=alarm-message", alarm_message),
    "alarm history site filter": listing(lambda w: "/alarms/", site_name),
    "alarm history by UPS": lambda web, token, w, k: (
        alarm_message(w[k]) in _text(web.get(f"/alarms/?state=&ups={w[k].ups.pk}"))
    ),
    "alarm detail": detail(lambda b: f"/alarms/{b.alarm.pk}/"),
    "alarm export": listing(lambda w: "/alarms/export.csv?state=", alarm_message),
    "API fleet": listing(lambda w: "/api/v1/fleet", ups_name, api=True),
    "API fleet by region": lambda web, token, w, k: (
        ups_name(w[k]) in _text(token.get(f"/api/v1/fleet?region={w[k].region.pk}"))
    ),
    "API UPS": detail(lambda b: f"/api/v1/ups/{b.ups.pk}", api=True),
    "API readings": detail(lambda b: f"/api/v1/ups/{b.ups.pk}/readings", api=True),
    "API readings CSV": detail(lambda b: f"/api/v1/ups/{b.ups.pk}/readings.csv", api=True),
    "API alarms": listing(lambda w: "/api/v1/alarms?state=", alarm_message, api=True),
    "API alarms by UPS": lambda web, token, w, k: (
        alarm_message(w[k]) in _text(token.get(f"/api/v1/alarms?state=&ups={w[k].ups.pk}"))
    ),
    "metrics (token)": listing(lambda w: "/metrics", ups_name, api=True),
    "metrics (session)": listing(lambda w: "/metrics", ups_name),
}


@pytest.mark.django_db
@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("who", USERS)
def test_a_scoped_user_sees_their_branch_and_no_other(world: World, who: str, surface: str) -> None:
    user, restricted = scoped_user(world, who)
    web = client_for(user)
    token = Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 'test')[1]}")
    check = SURFACES[surface]
    assert check(web, token, world, "a"), f"{who} does not see their own branch on {surface}"
    assert check(web, token, world, "b") is not restricted, (
        f"{who} {'sees' if restricted else 'does not see'} the other branch on {surface}"
    )


@pytest.mark.django_db
def test_an_allow_listed_scraper_without_credentials_sees_the_whole_fleet(
    world: World, settings: Any
) -> None:
    settings.UNMS = {
        **settings.UNMS,
        "API": {**settings.UNMS["API"], "METRICS_ALLOW": ["127.0.0.1/32"]},
    }
    body = Client().get("/metrics").content.decode()
    assert world.a.ups.name in body
    assert world.b.ups.name in body


@pytest.mark.django_db
def test_a_scoped_operator_cannot_acknowledge_or_comment_another_branch(world: World) -> None:
    user, _ = scoped_user(world, "operator by region")
    client = client_for(user)
    both = [world.a.alarm.pk, world.b.alarm.pk]
    assert client.post("/alarms/acknowledge/", {"alarm": both}).status_code == 302
    world.a.alarm.refresh_from_db()
    world.b.alarm.refresh_from_db()
    assert world.a.alarm.state == AlarmState.ACTIVE_ACKED
    assert world.b.alarm.state == AlarmState.ACTIVE_UNACKED
    refused = client.post(f"/alarms/{world.b.alarm.pk}/comment/", {"comment": "hello"})
    assert refused.status_code == 404
    assert not world.b.alarm.events.filter(message__contains="hello").exists()


@pytest.mark.django_db
def test_the_export_has_no_row_of_another_branch(world: World) -> None:
    user, _ = scoped_user(world, "viewer by site")
    response = client_for(user).get("/alarms/export.csv?state=")
    rows = list(csv.DictReader(io.StringIO(_text(response))))
    assert [r["ups"] for r in rows] == [world.a.ups.name]


@pytest.mark.django_db
def test_a_start_map_outside_the_scope_falls_back_to_the_dashboard(world: World) -> None:
    from monitoring.models import DefaultView, UserPreference

    user, _ = scoped_user(world, "viewer by site")
    UserPreference.objects.create(user=user, default_view=DefaultView.MAP, default_map=world.b.site)
    response = client_for(user).get("/")
    assert response.status_code == 200
    assert world.b.ups.name not in response.content.decode()


@pytest.mark.django_db
def test_a_scope_extended_later_takes_effect_at_once(world: World) -> None:
    user, _ = scoped_user(world, "operator by region")
    client = client_for(user)
    assert client.get(f"/ups/{world.b.ups.pk}/").status_code == 404
    user.scope.sites.add(world.b.site)
    assert client.get(f"/ups/{world.b.ups.pk}/").status_code == 200


# --- WebSocket -------------------------------------------------------------------------


async def _connect(user: Any, path: str = "/ws/fleet/") -> tuple[WebsocketClient, bool]:
    from tests.console.test_consumers import connect

    communicator, connected = await connect(user, path)
    return communicator, connected


@pytest.fixture
def in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.mark.parametrize("who", USERS)
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.usefixtures("in_memory_layer")
async def test_the_fleet_socket_carries_only_the_users_branches(who: str) -> None:
    world = await sync_to_async(lambda: World(_branch("Alpha"), _branch("Bravo")))()
    user, restricted = await sync_to_async(scoped_user)(world, who)
    a, b = world.a.ups.pk, world.b.ups.pk
    expected = {a} if restricted else {a, b}
    communicator, connected = await _connect(user)
    assert connected

    snapshot = await communicator.receive_json_from()
    assert {u["ups_id"] for u in snapshot["upses"]} == expected
    assert {x["ups_id"] for x in snapshot["alarms"]} == expected
    assert snapshot["flood"]["count"] == len(expected)

    # Pushes: a tile, then an alarm change (its alarms, then the tile again), for each.
    await sync_to_async(live.push_state)(b)
    await sync_to_async(live.push_state)(a)
    await sync_to_async(after_commit)([b])
    await sync_to_async(after_commit)([a])
    received = []
    while not await communicator.receive_nothing(timeout=0.3):
        received.append(await communicator.receive_json_from())
    assert {m["ups_id"] for m in received} == expected
    per_ups = 3  # ups.state, alarms.ups, ups.state
    assert len(received) == per_ups * len(expected)
    alarms_messages = [m for m in received if m["type"] == "alarms.ups"]
    for m in alarms_messages:
        assert "rescope" not in m
        # Fleet-wide aggregates are recomputed within the scope.
        assert m["flood"]["count"] == len(expected)

    # A fresh snapshot is scoped the same way.
    await communicator.send_json_to({"type": "snapshot"})
    again = await communicator.receive_json_from()
    assert {u["ups_id"] for u in again["upses"]} == expected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.usefixtures("in_memory_layer")
async def test_the_ups_socket_of_another_branch_is_closed_with_4403() -> None:
    world = await sync_to_async(lambda: World(_branch("Alpha"), _branch("Bravo")))()
    user, _ = await sync_to_async(scoped_user)(world, "operator by region")

    refused, connected = await _connect(user, f"/ws/ups/{world.b.ups.pk}/")
    assert connected  # accepted only to say why
    assert await refused.receive_output() == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}

    own, connected = await _connect(user, f"/ws/ups/{world.a.ups.pk}/")
    snapshot = await own.receive_json_from()
    assert [u["ups_id"] for u in snapshot["upses"]] == [world.a.ups.pk]
    assert [x["ups_id"] for x in snapshot["alarms"]] == [world.a.ups.pk]
    await own.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.usefixtures("in_memory_layer")
async def test_a_scope_narrowed_while_connected_applies_from_the_next_snapshot() -> None:
    world = await sync_to_async(lambda: World(_branch("Alpha"), _branch("Bravo")))()
    user, _ = await sync_to_async(scoped_user)(world, "operator by region")
    await sync_to_async(lambda: user.scope.regions.add(world.b.region))()
    communicator, _ = await _connect(user)
    first = await communicator.receive_json_from()
    assert len(first["upses"]) == 2

    await sync_to_async(lambda: user.scope.regions.remove(world.b.region))()
    await communicator.send_json_to({"type": "snapshot"})
    again = await communicator.receive_json_from()
    assert [u["ups_id"] for u in again["upses"]] == [world.a.ups.pk]
    await sync_to_async(live.push_state)(world.b.ups.pk)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.usefixtures("in_memory_layer")
async def test_pop_ups_show_a_scoped_user_only_their_branches() -> None:
    """A rule may send another branch's alarm to a regional operator's pop-ups: it is
    neither pushed nor replayed to them."""
    from notifications.choices import ChannelKind, Trigger
    from notifications.consumers import PopupConsumer
    from notifications.outbox import plan_pending
    from notifications.sender import deliver_due
    from tests.notifications.factories import (
        T0,
        ChannelFactory,
        RecipientFactory,
        make_rule,
        raise_alarm,
    )

    def setup() -> tuple[Any, Any, Any]:
        world = World(_branch("Alpha", with_alarm=False), _branch("Bravo", with_alarm=False))
        user, _ = scoped_user(world, "operator by region")
        recipient = RecipientFactory.create(user=user)
        channel = ChannelFactory.create(kind=ChannelKind.POPUP)
        make_rule([(Trigger.IMMEDIATE, 0)], [(recipient, channel)])
        return world, user, raise_alarm

    world, user, _ = await sync_to_async(setup)()

    async def session() -> WebsocketClient:
        c = WebsocketClient(PopupConsumer.as_asgi(), "/ws/notifications/")
        c.scope["user"] = user
        connected, _ = await c.connect()
        assert connected
        return c

    tab = await session()
    await sync_to_async(raise_alarm)(world.b.ups, T0)
    await sync_to_async(plan_pending)(T0)
    await sync_to_async(deliver_due)(T0)
    assert await tab.receive_nothing(timeout=0.3)

    await sync_to_async(raise_alarm)(world.a.ups, T0)
    await sync_to_async(plan_pending)(T0)
    await sync_to_async(deliver_due)(T0)
    shown = await tab.receive_json_from()
    assert [a["ups"] for a in shown["popup"]["alarms"]] == [world.a.ups.name]

    later = await session()  # the replay: Alpha's pop-up only
    replayed = await later.receive_json_from()
    assert [a["ups"] for a in replayed["popup"]["alarms"]] == [world.a.ups.name]
    assert await later.receive_nothing(timeout=0.3)
    for c in (tab, later):
        await c.disconnect()
