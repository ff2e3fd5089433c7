"""The batched console push: many UPSs in a constant number of queries and ONE hop onto
the event loop, with the same payloads, per-UPS order and groups as one push per UPS."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alarms import live as alarms_live
from alarms.choices import AlarmState
from monitoring import live
from monitoring.choices import UpsState
from monitoring.models import UpsStatus
from tests.alarms.factories import AlarmFactory, OpenAlarmFactory
from tests.console.layer import drain, listen
from tests.factories import MeasurementFactory, UpsFactory, UpsStatusFactory

pytestmark = pytest.mark.django_db


def _fleet(n: int) -> list[int]:
    """n UPSs with a tile and a few live alarms each (open, cleared-unacked, and one
    cleared-acked that must not show)."""
    ids = []
    for i in range(n):
        ups = UpsFactory.create(name=f"ups-{i}")
        m = MeasurementFactory.create(ups=ups, load_pct=30.0 + i)
        UpsStatusFactory.create(ups=ups, state=UpsState.WARNING, measurement=m)
        OpenAlarmFactory.create(ups=ups)
        OpenAlarmFactory.create(ups=ups, kind="LowBattery", severity="critical")
        AlarmFactory.create(ups=ups, state=AlarmState.CLEARED_UNACKED)
        AlarmFactory.create(ups=ups)  # cleared and acknowledged: not live
        ids.append(ups.pk)
    return ids


class HopCounter:
    """Counts `async_to_sync` calls made by monitoring.live (each one a loop hop)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hops = 0
        real = live.async_to_sync

        def counting(fn: Any) -> Any:
            self.hops += 1
            return real(fn)

        monkeypatch.setattr(live, "async_to_sync", counting)


def test_push_ups_is_three_queries_and_one_hop_whatever_the_batch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _fleet(12)
    counter = HopCounter(monkeypatch)
    with CaptureQueriesContext(connection) as one:
        alarms_live.push_ups(ids[:1])
    with CaptureQueriesContext(connection) as many:
        alarms_live.push_ups(ids)
    # flood status, live alarms, tiles: the same for 12 UPSs as for one.
    assert len(one.captured_queries) == len(many.captured_queries) == 3
    assert counter.hops == 2  # one per call


def test_batched_payloads_equal_the_per_ups_ones() -> None:
    ids = _fleet(5)
    empty = UpsFactory.create(name="never-polled")  # no status row: no tile message
    layer, fleet = listen(live.FLEET_GROUP)
    own = {u: listen(live.ups_group(u))[1] for u in [*ids, empty.pk]}

    alarms_live.push_ups([*reversed(ids), empty.pk, ids[0]])

    flood = alarms_live.flood_status()
    expected: list[dict[str, Any]] = []
    for ups_id in ids:
        mine: list[dict[str, Any]] = [
            {
                "type": "alarms.ups",
                "ups_id": ups_id,
                "alarms": alarms_live._live_alarms(ups_id),  # the per-UPS reference
                "flood": flood,
                "rescope": ["flood"],
            },
            dict(
                live.state_payload(
                    UpsStatus.objects.select_related("measurement").get(ups_id=ups_id)
                )
            ),
        ]
        assert drain(layer, own[ups_id]) == [dict(p) for p in mine]
        expected += mine
    no_tile = {
        "type": "alarms.ups",
        "ups_id": empty.pk,
        "alarms": [],
        "flood": flood,
        "rescope": ["flood"],
    }
    assert drain(layer, own[empty.pk]) == [no_tile]
    got = drain(layer, fleet)
    # Every message reaches the fleet group once; one UPS's in order (alarms, then tile).
    assert sorted(map(repr, got)) == sorted(map(repr, [dict(p) for p in expected] + [no_tile]))
    for ups_id in ids:
        assert [m["type"] for m in got if m["ups_id"] == ups_id] == ["alarms.ups", "ups.state"]
    assert all(len(m["alarms"]) == 3 for m in got if m["type"] == "alarms.ups" and m["alarms"])


def test_live_alarms_by_ups_keeps_the_per_ups_limit_and_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = _fleet(3)
    for _ in range(3):
        AlarmFactory.create(ups_id=ids[1], state=AlarmState.CLEARED_UNACKED)
    monkeypatch.setattr(alarms_live, "SNAPSHOT_LIMIT", 4)
    by_ups = alarms_live.live_alarms_by_ups([*ids, 999_999])
    for ups_id in ids:
        assert by_ups[ups_id] == alarms_live._live_alarms(ups_id)
    assert len(by_ups[ids[1]]) == 4
    assert by_ups[999_999] == []


def test_push_states_is_one_query_and_one_hop(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _fleet(6)
    layer, fleet = listen(live.FLEET_GROUP)
    counter = HopCounter(monkeypatch)
    with CaptureQueriesContext(connection) as ctx:
        payloads = live.push_states(ids)
    assert len(ctx.captured_queries) == 1
    assert counter.hops == 1
    assert sorted(payloads) == sorted(ids)
    assert [m["ups_id"] for m in drain(layer, fleet)] == sorted(ids)


class RecordingLayer:
    """A layer that notes which thread and loop each group send ran on."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.sent: list[tuple[str, dict[str, Any], int, asyncio.AbstractEventLoop]] = []
        self.fail_on = fail_on

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if self.fail_on is not None and len(self.sent) == self.fail_on:
            raise ConnectionError("layer gone")
        await asyncio.sleep(0)
        self.sent.append((group, message, threading.get_ident(), asyncio.get_running_loop()))


def _payloads(n: int) -> list[dict[str, Any]]:
    return [{"type": "ups.state", "ups_id": i} for i in range(n)]


def test_without_a_loop_all_sends_share_one_fresh_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # trapd's step thread, a Celery worker: one loop for the whole batch, not one each.
    layer = RecordingLayer()
    monkeypatch.setattr(live, "get_channel_layer", lambda: layer)
    assert live.push_all(_payloads(20)) == 20
    assert len(layer.sent) == 40
    assert len({id(loop) for *_, loop in layer.sent}) == 1
    assert {group for group, *_ in layer.sent} >= {live.FLEET_GROUP, live.ups_group(19)}


@pytest.mark.asyncio
async def test_from_a_sync_to_async_thread_the_push_runs_on_the_callers_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The embedded demo: the recorder runs in a sync_to_async thread of the web server's
    # loop, and the push must land on that loop (the in-memory layer's queues are there).
    layer = RecordingLayer()
    monkeypatch.setattr(live, "get_channel_layer", lambda: layer)
    here = asyncio.get_running_loop()
    await sync_to_async(live.push_all)(_payloads(10))
    await sync_to_async(live.push, thread_sensitive=False)({"type": "ups.state", "ups_id": 1})
    assert len(layer.sent) == 22
    assert {loop for *_, loop in layer.sent} == {here}
    assert {ident for _, _, ident, _ in layer.sent} == {threading.get_ident()}


def test_a_failing_layer_stops_the_batch_and_the_error_is_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layer = RecordingLayer(fail_on=5)
    monkeypatch.setattr(live, "get_channel_layer", lambda: layer)
    with pytest.raises(ConnectionError):
        live.push_all(_payloads(100))
    # What was in flight finished; nothing new started after the failure.
    assert len(layer.sent) < 5 + live.SEND_CONCURRENCY * 2


def test_a_failed_alarm_push_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ids = _fleet(2)
    monkeypatch.setattr(live, "get_channel_layer", lambda: RecordingLayer(fail_on=0))
    with django_capture_on_commit_callbacks(execute=True):
        alarms_live.after_commit(ids)
    assert "live push of the alarms of UPSs" in caplog.text


def test_no_layer_no_push(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "get_channel_layer", lambda: None)
    assert live.push_all(_payloads(3)) == 3
    live.push({"type": "ups.state", "ups_id": 1})
