"""monitoring.live: payload shape, what counts as a visible change, the after-poll step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from monitoring import live
from monitoring.choices import ConditionKind, Severity, UpsState
from monitoring.readings import Reading
from monitoring.recorder import PollOutcome, record
from monitoring.status import Assessment, Condition
from tests.console.layer import drain, listen
from tests.factories import MeasurementFactory, UpsFactory, UpsStatusFactory

pytestmark = pytest.mark.django_db


BASE = {"load": 41.2, "charge": 100.0, "runtime": 1800, "on_battery_s": 0}


@pytest.mark.parametrize(
    ("change", "visible"),
    [
        ({}, False),
        ({"load": 41.4}, False),  # shown as 41 % both times
        ({"load": 42.0}, True),
        ({"charge": 99.0}, True),
        ({"runtime": 1810}, False),  # 30 min both times
        ({"runtime": 1740}, True),
        ({"on_battery_s": 20}, False),  # under a minute: still "0 min"
        ({"on_battery_s": 95}, True),
        ({"load": None}, True),  # a value that disappears is a change
    ],
)
def test_visible_change_ignores_what_the_tile_does_not_show(
    change: dict[str, Any], visible: bool
) -> None:
    before = live.visible("ok", [], BASE)
    after = live.visible("ok", [], BASE | change)
    assert live.visible_change(before, after) is visible


def test_state_and_reason_changes_are_visible() -> None:
    before = live.visible("ok", [], BASE)
    assert live.visible_change(before, live.visible("warning", [], BASE))
    assert live.visible_change(before, live.visible("ok", ["on battery"], BASE))
    assert live.visible_change(None, before)


def test_state_payload_has_the_documented_shape() -> None:
    ups = UpsFactory.create()
    m = MeasurementFactory.create(ups=ups, load_pct=55.5, seconds_on_battery=120)
    status = UpsStatusFactory.create(
        ups=ups,
        state=UpsState.WARNING,
        measurement=m,
        conditions=[{"kind": "OnBattery", "severity": "warning", "reason": "on battery for 2 min"}],
    )

    payload = live.state_payload(status)

    assert payload["type"] == "ups.state"
    assert payload["ups_id"] == ups.pk
    assert (payload["state"], payload["word"], payload["rank"]) == ("warning", "WARN", 2)
    assert payload["reasons"] == ["on battery for 2 min"]
    assert payload["values"] == {
        "load": 55.5,
        "charge": m.charge_pct,
        "runtime": m.runtime_remaining_s,
        "on_battery_s": 120,
    }
    assert status.last_poll_at is not None
    assert payload["at"] == status.last_poll_at.isoformat()
    assert set(payload) == set(live.UpsStatePayload.__annotations__)


def test_push_sends_to_the_fleet_and_the_ups_group() -> None:
    layer, fleet = listen(live.FLEET_GROUP)
    _, own = listen(live.ups_group(7))

    live.push({"type": "ups.state", "ups_id": 7})

    assert drain(layer, fleet) == [{"type": "ups.state", "ups_id": 7}]
    assert drain(layer, own) == [{"type": "ups.state", "ups_id": 7}]


def _outcome(ups_id: int, previous: Assessment, reachable: bool = True) -> PollOutcome:
    current = Assessment(UpsState.OK, ())
    return PollOutcome(
        ups_id=ups_id,
        measurement_id=0,
        taken_at=timezone.now(),
        reading=Reading(reachable=reachable),
        previous=previous,
        current=current,
    )


def test_after_poll_step_pushes_only_visible_changes() -> None:
    ups = UpsFactory.create()
    earlier = timezone.now() - timedelta(seconds=30)
    MeasurementFactory.create(ups=ups, taken_at=earlier, load_pct=40.0)
    now_m = MeasurementFactory.create(ups=ups, load_pct=40.3)
    UpsStatusFactory.create(ups=ups, state=UpsState.OK, measurement=now_m)
    layer, fleet = listen(live.FLEET_GROUP)

    assert live.push_poll_outcome(_outcome(ups.pk, Assessment(UpsState.OK, ()))) is False
    assert drain(layer, fleet) == []

    # The alarm step raised the light after the recorder: the stored state wins.
    was_ok = Assessment(UpsState.OK, ())
    ups.status.state = UpsState.CRITICAL
    ups.status.conditions = [{"kind": "LowBattery", "severity": "critical", "reason": "low"}]
    ups.status.save()
    assert live.push_poll_outcome(_outcome(ups.pk, was_ok)) is True
    (message,) = drain(layer, fleet)
    assert (message["state"], message["reasons"]) == ("critical", ["low"])

    # Same state and reason again: nothing to send.
    critical = Assessment(
        UpsState.CRITICAL,
        (Condition(ConditionKind.LOW_BATTERY, Severity.CRITICAL, "low"),),
    )
    assert live.push_poll_outcome(_outcome(ups.pk, critical)) is False


def test_an_unreachable_poll_pushes_only_when_the_state_moves() -> None:
    ups = UpsFactory.create()
    m = MeasurementFactory.create(ups=ups)
    UpsStatusFactory.create(ups=ups, state=UpsState.COMM_LOST, measurement=m)
    layer, fleet = listen(live.FLEET_GROUP)

    assert live.push_poll_outcome(_outcome(ups.pk, Assessment(UpsState.OK, ()), False))
    assert not live.push_poll_outcome(_outcome(ups.pk, Assessment(UpsState.COMM_LOST, ()), False))
    assert [msg["state"] for msg in drain(layer, fleet)] == ["comm_lost"]


@pytest.mark.django_db(transaction=True)
def test_the_recorder_pipeline_pushes_after_commit(settings: Any) -> None:
    settings.UNMS = {**settings.UNMS, "AFTER_POLL": ["monitoring.live.push_poll_outcome"]}
    from monitoring import recorder

    recorder._after_poll_steps.cache_clear()
    try:
        ups = UpsFactory.create()
        layer, fleet = listen(live.FLEET_GROUP)
        reading = Reading(reachable=True, charge_pct=100.0)
        record(ups, reading, timezone.now())
        (message,) = drain(layer, fleet)
        assert message["ups_id"] == ups.pk
        assert message["values"]["charge"] == 100.0
    finally:
        recorder._after_poll_steps.cache_clear()


def test_snapshot_lists_every_ups_and_the_alarm_contribution(operator: Any) -> None:
    polled = UpsStatusFactory.create(state=UpsState.WARNING)
    never = UpsFactory.create()
    off = UpsFactory.create(enabled=False)

    snap = live.snapshot(operator)

    states = {p["ups_id"]: p["state"] for p in snap["upses"]}
    assert states == {polled.ups_id: "warning", never.pk: "unknown", off.pk: "unknown"}
    assert snap["alarms"] == []
    assert snap["can_acknowledge"] is False
    assert snap["flood"]["flood"] is False
