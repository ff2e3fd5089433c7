"""History page, CSV export, acknowledge/comment and the UPS timeline over HTTP."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from alarms.choices import AlarmState, EventKind
from alarms.models import Alarm, AlarmEvent
from tests.alarms.factories import T0, AlarmFactory, OpenAlarmFactory
from tests.factories import SiteFactory, UpsFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("alarms:list")
EXPORT = reverse("alarms:export")
ACK = reverse("alarms:acknowledge")


@pytest.fixture
def fleet() -> dict[str, Alarm]:
    north, south = SiteFactory.create(name="North"), SiteFactory.create(name="South")
    a, b = (
        UpsFactory.create(name="ups-north-1", site=north),
        UpsFactory.create(name="ups-south-1", site=south),
    )
    return {
        "open_a": OpenAlarmFactory.create(ups=a, raised_at=T0),
        "fan_b": AlarmFactory.create(
            ups=b, kind="FanFailure", message="fan failure", raised_at=T0 - timedelta(days=2)
        ),
        "old_a": AlarmFactory.create(
            ups=a,
            kind="OutputOverload",
            severity="critical",
            message="output overload (104 % load)",
            raised_at=T0 - timedelta(days=30),
        ),
        "acked_b": AlarmFactory.create(
            ups=b, state=AlarmState.CLEARED_UNACKED, raised_at=T0 - timedelta(days=3)
        ),
    }


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory.create(username="boss", is_staff=True))
    return client


def ids(response) -> set[int]:  # type: ignore[no-untyped-def]
    return {a.pk for a in response.context["page"].rows}


def test_anonymous_is_sent_to_login(client: Client) -> None:
    for url in (LIST, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]
    assert client.post(ACK, {"alarm": 1}).status_code == 302
    assert not AlarmEvent.objects.exists()


def test_default_view_is_active_alarms(operator_client: Client, fleet: dict) -> None:
    assert ids(operator_client.get(LIST)) == {fleet["open_a"].pk}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": ""}, {"open_a", "fan_b", "old_a", "acked_b"}),
        ({"q": "overload"}, {"old_a"}),
        ({"q": "south"}, {"fan_b", "acked_b"}),  # site name
        ({"q": "ups-north"}, {"open_a", "old_a"}),  # UPS name
        ({"kind": "FanFailure"}, {"fan_b"}),
        ({"severity": "critical"}, {"old_a"}),
        ({"state": "cleared"}, {"fan_b", "old_a", "acked_b"}),
        ({"state": "unacknowledged"}, {"open_a", "acked_b"}),
        ({"state": "acknowledged"}, {"fan_b", "old_a"}),
        (
            {"since": (T0 - timedelta(days=2, hours=1)).strftime("%Y-%m-%dT%H:%M")},
            {"open_a", "fan_b"},
        ),
        (
            {"until": (T0 - timedelta(days=2, hours=1)).strftime("%Y-%m-%dT%H:%M")},
            {"old_a", "acked_b"},
        ),
    ],
)
def test_filters(operator_client: Client, fleet: dict, query: dict, expected: set) -> None:
    assert ids(operator_client.get(LIST, {"sort": "newest"} | query)) == {
        fleet[k].pk for k in expected
    }


def test_site_and_ups_filters(operator_client: Client, fleet: dict) -> None:
    site = fleet["fan_b"].ups.site
    assert ids(operator_client.get(LIST, {"site": site.pk})) == {
        fleet["fan_b"].pk,
        fleet["acked_b"].pk,
    }
    assert ids(operator_client.get(LIST, {"ups": fleet["open_a"].ups_id})) == {
        fleet["open_a"].pk,
        fleet["old_a"].pk,
    }


def test_keyset_pages_cover_everything_once(operator_client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.UNMS = settings.UNMS | {
        "ALARMS": settings.UNMS["ALARMS"] | {"PAGE_SIZE": 3, "COUNT_CAP": 5}
    }
    ups = UpsFactory.create()
    made = {
        AlarmFactory.create(ups=ups, raised_at=T0 - timedelta(minutes=i % 4)).pk for i in range(8)
    }
    seen: list[int] = []
    params = {"state": "", "sort": "newest"}
    while True:
        response = operator_client.get(LIST, params)
        page = response.context["page"]
        assert (page.count, page.count_capped) == (5, True)
        seen += [a.pk for a in page.rows]
        if not page.next_cursor:
            break
        params["after"] = page.next_cursor
    assert len(seen) == len(set(seen))
    assert set(seen) == made
    assert b"More than 5" in response.content


def test_bad_cursor_is_ignored(operator_client: Client, fleet: dict) -> None:
    response = operator_client.get(LIST, {"state": "", "after": "!!garbage"})
    assert response.status_code == 200
    assert len(ids(response)) == 4


def read_csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_export_is_exactly_the_filtered_set(operator_client: Client, fleet: dict) -> None:
    response = operator_client.get(EXPORT, {"q": "south", "sort": "newest"})
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert [int(r["id"]) for r in rows] == [fleet["fan_b"].pk, fleet["acked_b"].pk]
    assert rows[0]["site"] == "South"
    assert rows[0]["kind"] == "FanFailure"


def test_export_neutralises_formulas(operator_client: Client) -> None:
    AlarmFactory.create(message='=HYPERLINK("http://evil")')
    (row,) = read_csv(operator_client.get(EXPORT, {"state": ""}))
    assert row["message"].startswith("'=")


def test_operator_without_permission_cannot_acknowledge(
    operator_client: Client, fleet: dict
) -> None:
    response = operator_client.post(ACK, {"alarm": fleet["open_a"].pk})
    assert response.status_code == 403
    fleet["open_a"].refresh_from_db()
    assert fleet["open_a"].state == AlarmState.ACTIVE_UNACKED


def test_permission_grants_acknowledge(operator, operator_client: Client, fleet: dict) -> None:  # type: ignore[no-untyped-def]
    operator.user_permissions.add(Permission.objects.get(codename="acknowledge_alarm"))
    response = operator_client.post(ACK, {"alarm": fleet["open_a"].pk, "comment": "on it"})
    assert response.status_code == 302
    alarm = Alarm.objects.get(pk=fleet["open_a"].pk)
    assert alarm.state == AlarmState.ACTIVE_ACKED
    assert alarm.acknowledged_by == operator
    event = alarm.events.get(kind=EventKind.ACKNOWLEDGED)
    assert (event.user, event.message) == (operator, "on it")


def test_bulk_acknowledge(staff_client: Client, fleet: dict) -> None:
    chosen = [fleet["open_a"].pk, fleet["acked_b"].pk, fleet["fan_b"].pk]  # fan_b: already
    response = staff_client.post(ACK, {"alarm": chosen, "next": "http://evil.example/"})
    assert response["Location"] == LIST  # no open redirect
    states = dict(Alarm.objects.filter(pk__in=chosen).values_list("pk", "state"))
    assert states == {
        fleet["open_a"].pk: AlarmState.ACTIVE_ACKED,
        fleet["acked_b"].pk: AlarmState.CLEARED,
        fleet["fan_b"].pk: AlarmState.CLEARED,
    }
    assert AlarmEvent.objects.filter(kind=EventKind.ACKNOWLEDGED).count() == 2


def test_acknowledge_needs_csrf(fleet: dict) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory.create(username="boss2", is_staff=True))
    assert client.post(ACK, {"alarm": fleet["open_a"].pk}).status_code == 403
    assert client.get(ACK).status_code == 405


def test_comment(staff_client: Client, fleet: dict) -> None:
    alarm = fleet["old_a"]
    staff_client.post(reverse("alarms:comment", args=[alarm.pk]), {"comment": "replaced fuse"})
    assert alarm.events.get(kind=EventKind.COMMENTED).message == "replaced fuse"
    page = staff_client.get(alarm.get_absolute_url())
    assert b"replaced fuse" in page.content


def test_ups_page_shows_timeline(operator_client: Client, fleet: dict) -> None:
    alarm = fleet["open_a"]
    AlarmEvent.objects.create(
        ups=alarm.ups,
        alarm=alarm,
        at=T0,
        kind=EventKind.RAISED,
        condition=alarm.kind,
        message="on battery",
    )
    response = operator_client.get(alarm.ups.get_absolute_url())
    assert response.status_code == 200
    content = response.content.decode()
    assert "Alarms and events" in content
    assert alarm.get_absolute_url() in content


@pytest.mark.django_db(transaction=True)
async def test_export_under_asgi_streams_in_chunks_without_reading_all_rows_first(
    fleet: dict,
) -> None:
    from django.contrib.auth import get_user_model
    from django.http import StreamingHttpResponse
    from django.test import AsyncClient

    admin = await get_user_model().objects.acreate(username="exporter", is_superuser=True)
    client = AsyncClient()
    await client.aforce_login(admin)

    response = await client.get(EXPORT, {"state": "", "sort": "newest"})
    assert isinstance(response, StreamingHttpResponse)

    # An async iterator: Django would read a sync one whole before sending any of it.
    assert response.is_async
    body = b"".join([part async for part in response.streaming_content]).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {int(r["id"]) for r in rows} == {alarm.pk for alarm in fleet.values()}
