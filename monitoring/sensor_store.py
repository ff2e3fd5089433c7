"""The poller's I/O around the pure sensor and profile logic (runs before `record`).

- `apply_sensors`: evaluate the UPS's configured sensor points against the card's
  samples (hysteresis needs each point's previous level, kept on the point), store
  trend rows sparingly, and return the Reading with evaluated samples, so that
  `status.assess` turns them into conditions and the alarm lifecycle raises and
  clears them like any other condition (one pipeline, no side door).
- `note_profile`: keep the detected profile, suspicious-value notes and coverage on
  `UpsProfileState`, writing only when something changed.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Final

from django.db import transaction

from monitoring import sensors
from monitoring.coverage import coverage_of
from monitoring.models import SensorMeasurement, SensorPoint, Ups, UpsProfileState
from monitoring.readings import Reading, SensorSample

#: A trend row is written when the value moved by more than this fraction of its span
#: (or 0.1 absolute), when the level changed, or at least this often.
KEEPALIVE: Final = timedelta(minutes=5)
DEADBAND: Final = 0.1

DIGITAL = {"digital_in", "digital_out"}


def _evaluate(point: SensorPoint, sample: SensorSample | None) -> SensorSample:
    kind, _, channel = point.source.partition(".")
    previous = (
        sensors.Level(point.level) if point.level in set(sensors.Level) else sensors.Level.NORMAL
    )
    raw = None if sample is None else sample.value
    if point.quantity == "digital_in":
        value = raw
        level = sensors.digital_level(value, point.normal_state)
    elif point.quantity == "digital_out":
        value = raw
        level = sensors.Level.LOST if value is None else sensors.Level.UNKNOWN
    else:
        value = None if raw is None else sensors.engineering(raw, point.divisor, point.offset)
        limits = sensors.Limits(
            point.low_alarm, point.low_warning, point.high_warning, point.high_alarm,
            point.hysteresis,
        )  # fmt: skip
        level = sensors.analog_level(value, limits, previous)
    return SensorSample(
        kind=kind,
        channel=int(channel or 0),
        value=value,
        name=point.name,
        unit=point.unit or (sample.unit if sample else None),
        point_id=point.pk,
        quantity=point.quantity,
        # "unknown" raises nothing; keep None so status skips it
        level=None if level == sensors.Level.UNKNOWN else str(level),
        severity=point.severity if point.quantity == "digital_in" else None,
    )


def _due(point: SensorPoint, value: float | None, level: str, now: datetime) -> bool:
    if point.stored_at is None or now - point.stored_at >= KEEPALIVE:
        return True
    if level != point.level:
        return True
    if value is None or point.stored_value is None:
        return value != point.stored_value
    return abs(value - point.stored_value) > DEADBAND


def apply_sensors(ups: Ups, reading: Reading, taken_at: datetime) -> Reading:
    """Evaluate and store the UPS's sensor points; the Reading with evaluated samples."""
    if not reading.reachable:
        return reading
    points = list(SensorPoint.objects.filter(ups=ups, enabled=True))
    if not points:
        return reading
    by_key = sensors.samples_by_key(reading.sensors)
    evaluated = {p.source: _evaluate(p, by_key.get(p.source)) for p in points}
    rows: list[SensorMeasurement] = []
    with transaction.atomic():
        for point in points:
            sample = evaluated[point.source]
            level = sample.level or str(sensors.Level.UNKNOWN)
            if _due(point, sample.value, level, taken_at):
                rows.append(
                    SensorMeasurement(
                        point=point, taken_at=taken_at, value=sample.value, level=level
                    )
                )
                point.stored_value, point.stored_at = sample.value, taken_at
            point.value, point.level, point.updated_at = sample.value, level, taken_at
        SensorPoint.objects.bulk_update(
            points, ["value", "level", "updated_at", "stored_value", "stored_at"]
        )
        SensorMeasurement.objects.bulk_create(rows)
    configured = set(evaluated)
    samples = [*evaluated.values()]
    samples += [s for key, s in by_key.items() if key not in configured]
    return dataclasses.replace(reading, sensors=tuple(samples))


def note_profile(ups: Ups, reading: Reading, taken_at: datetime) -> None:
    """Cache detection (so the next poll skips it) and keep notes/coverage current."""
    if not reading.reachable:
        return
    state, _ = UpsProfileState.objects.get_or_create(ups=ups)
    changed: dict[str, object] = {}
    reason = reading.profile_reason or ""
    fresh = state.detected_profile != reading.profile or state.reason != reason
    if not ups.profile and reason.startswith("detected: ") and reading.profile and fresh:
        changed.update(detected_profile=reading.profile, reason=reason, detected_at=taken_at)
    sys_oid = reading.sys_object_id or ""
    if (
        state.detected_profile
        and state.sys_object_id
        and sys_oid
        and sys_oid != state.sys_object_id
    ):
        # Another card answers at this address now: detect again on the next poll.
        changed.update(detected_profile="", reason=f"sysObjectID changed to {sys_oid}")
    if sys_oid != state.sys_object_id:
        changed["sys_object_id"] = sys_oid
    read, missing = coverage_of(reading)
    values = {
        "profile_used": reading.profile or "",
        "suspicious": list(reading.suspicious),
        "read_fields": read,
        "missing_fields": missing,
    }
    changed.update({k: v for k, v in values.items() if getattr(state, k) != v})
    if changed:
        for key, value in changed.items():
            setattr(state, key, value)
        state.updated_at = taken_at
        state.save(update_fields=[*changed, "updated_at"])


def detected_profile(ups: Ups) -> tuple[str, str] | None:
    """(profile, reason) cached by an earlier detection, if any."""
    state = UpsProfileState.objects.filter(ups=ups).only("detected_profile", "reason").first()
    if state is None or not state.detected_profile:
        return None
    return state.detected_profile, state.reason
