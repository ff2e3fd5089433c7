"""Sensor points raise, escalate and clear alarms through the same lifecycle as UPS
values (poller step → recorder → AFTER_POLL → alarms.lifecycle), and store trend rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from alarms.models import Alarm
from monitoring.choices import ConditionKind
from monitoring.models import SensorMeasurement, SensorPoint, UpsProfileState
from monitoring.polling import _record
from monitoring.readings import Reading, SensorSample
from tests.factories import UpsFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HIGH = ConditionKind.SENSOR_TEMPERATURE_HIGH


def reading(analog1: float | None, door: int = 0) -> Reading:
    samples = [SensorSample("digital_in", 1, float(door), "Rack door")]
    if analog1 is not None:
        samples.append(SensorSample("analog", 1, analog1, "Rack temperature", "°C"))
    return Reading(reachable=True, profile="generex_cs1x1", charge_pct=100, sensors=tuple(samples))


@pytest.fixture
def ups() -> Any:
    ups = UpsFactory.create(name="cs141")
    SensorPoint.objects.create(
        ups=ups, source="analog.1", quantity="temperature", name="Rack", unit="°C",
        divisor=1, offset=0, high_warning=35, high_alarm=40, hysteresis=2,
    )  # fmt: skip
    SensorPoint.objects.create(
        ups=ups, source="digital_in.1", quantity="digital_in", name="Door", normal_state=0,
        severity="warning",
    )  # fmt: skip
    return ups


def poll(ups: Any, capture: Any, seconds: float, r: Reading) -> None:
    with capture(execute=True):
        _record(ups, r, T0 + timedelta(seconds=seconds), 1.0)


def open_alarm(ups: Any, kind: str) -> Alarm | None:
    return Alarm.objects.filter(ups=ups, kind=kind, cleared_at__isnull=True).first()


def test_rack_overheating_raises_escalates_and_clears_with_hysteresis(
    ups: Any, django_capture_on_commit_callbacks: Any
) -> None:
    poll(ups, django_capture_on_commit_callbacks, 0, reading(30))
    assert open_alarm(ups, HIGH) is None

    poll(ups, django_capture_on_commit_callbacks, 30, reading(36))
    alarm = open_alarm(ups, HIGH)
    assert alarm is not None
    assert alarm.severity == "warning"
    assert "Rack 36 °C" in alarm.message

    poll(ups, django_capture_on_commit_callbacks, 60, reading(41))
    alarm = open_alarm(ups, HIGH)
    assert alarm is not None
    assert alarm.severity == "critical"

    poll(ups, django_capture_on_commit_callbacks, 90, reading(34))  # within hysteresis
    assert open_alarm(ups, HIGH) is not None

    poll(ups, django_capture_on_commit_callbacks, 120, reading(32))
    assert open_alarm(ups, HIGH) is None
    point = SensorPoint.objects.get(source="analog.1")
    assert (point.value, point.level) == (32, "normal")
    # Every poll here changed the value by more than the deadband: one row each.
    assert SensorMeasurement.objects.filter(point=point).count() == 5


def test_door_opened_raises_its_own_kind_with_the_point_severity(
    ups: Any, django_capture_on_commit_callbacks: Any
) -> None:
    poll(ups, django_capture_on_commit_callbacks, 0, reading(25, door=1))

    alarm = open_alarm(ups, ConditionKind.SENSOR_INPUT_ABNORMAL)
    assert alarm is not None
    assert alarm.severity == "warning"
    assert "Door" in alarm.message


def test_a_configured_point_the_card_stops_reporting_is_sensor_lost(
    ups: Any, django_capture_on_commit_callbacks: Any
) -> None:
    poll(ups, django_capture_on_commit_callbacks, 0, reading(None))

    assert open_alarm(ups, ConditionKind.SENSOR_LOST) is not None


def test_steady_values_store_trend_rows_sparingly(
    ups: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(12):  # 0 .. 330 s
        poll(ups, django_capture_on_commit_callbacks, n * 30, reading(25.0))

    point = SensorPoint.objects.get(source="analog.1")
    assert (
        SensorMeasurement.objects.filter(point=point).count() == 2
    )  # t=0 and the 5 min keep-alive


def test_the_profile_state_keeps_coverage_and_suspicious_notes(
    ups: Any, django_capture_on_commit_callbacks: Any
) -> None:
    r = Reading(reachable=True, profile="generex_cs1x1", charge_pct=100, suspicious=("x: bad",))
    poll(ups, django_capture_on_commit_callbacks, 0, r)

    state = UpsProfileState.objects.get(ups=ups)
    assert state.suspicious == ["x: bad"]
    assert "charge_pct" in state.read_fields
    assert "runtime_remaining_s" in state.missing_fields


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"divisor": 0}, "divisor"),
        ({"high_warning": 40, "high_alarm": 35}, "high_alarm"),
        ({"source": "thermo"}, "source"),
    ],
)
def test_sensor_point_validation(ups: Any, fields: dict[str, Any], error: str) -> None:
    values = {"source": "analog.2", "quantity": "analog", "name": "x", **fields}
    point = SensorPoint(ups=ups, **values)

    with pytest.raises(ValidationError) as info:
        point.clean()
    assert error in info.value.message_dict


def test_profile_coverage_command_and_ups_page_show_gaps(
    ups: Any, django_capture_on_commit_callbacks: Any, admin_client: Any
) -> None:
    import io
    import json

    from django.core.management import call_command

    poll(ups, django_capture_on_commit_callbacks, 0, reading(36))
    out = io.StringIO()
    call_command("profile_coverage", "--json", stdout=out)

    (row,) = json.loads(out.getvalue())
    assert row["profile"] == "generex_cs1x1"
    assert "charge_pct" in row["read"]
    assert "runtime_remaining_s" in row["missing"]
    page = admin_client.get(ups.get_absolute_url()).content.decode()
    assert "Profile and sensors" in page
    assert "value(s) this card does not report" in page
