"""Store one poll: the measurement row and the UPS's current state, in one transaction.

After the commit, the steps listed in `settings.UNMS["AFTER_POLL"]` run with the
outcome (alarm reconciliation, live push). `monitoring` never imports them: the list in
settings is the one visible place where the pipeline is assembled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from monitoring.choices import UpsState
from monitoring.models import Measurement, Ups, UpsStatus
from monitoring.readings import Reading
from monitoring.status import Assessment, Condition, Thresholds, assess

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PollOutcome:
    ups_id: int
    measurement_id: int
    taken_at: datetime
    reading: Reading
    previous: Assessment
    current: Assessment

    @property
    def state_changed(self) -> bool:
        return self.previous.state != self.current.state

    @property
    def conditions_changed(self) -> bool:
        return self.previous.conditions != self.current.conditions


def assessment_of(status: UpsStatus) -> Assessment:
    return Assessment(
        UpsState(status.state),
        tuple(Condition.from_dict(c) for c in status.conditions),
        status.consecutive_failures,
    )


def _phase(values: list[float | None], index: int) -> float | None:
    return values[index] if index < len(values) else None


def measurement_from(
    ups_id: int, reading: Reading, state: UpsState, taken_at: datetime, poll_ms: float | None
) -> Measurement:
    inputs = [line.voltage_v for line in reading.input]
    outputs = [line.voltage_v for line in reading.output]
    loads = [line.load_pct for line in reading.output]
    as_dict = reading.as_dict()
    return Measurement(
        ups_id=ups_id,
        taken_at=taken_at,
        reachable=reading.reachable,
        state=state,
        poll_ms=poll_ms,
        battery_status=reading.battery_status,
        seconds_on_battery=_int(reading.seconds_on_battery),
        runtime_remaining_s=_int(reading.runtime_remaining_s),
        charge_pct=reading.charge_pct,
        battery_voltage_v=reading.battery_voltage_v,
        battery_current_a=reading.battery_current_a,
        battery_temperature_c=reading.battery_temperature_c,
        output_source=reading.output_source,
        input_frequency_hz=reading.input[0].frequency_hz if reading.input else None,
        output_frequency_hz=reading.output_frequency_hz,
        input_voltage_l1=_phase(inputs, 0),
        input_voltage_l2=_phase(inputs, 1),
        input_voltage_l3=_phase(inputs, 2),
        output_voltage_l1=_phase(outputs, 0),
        output_voltage_l2=_phase(outputs, 1),
        output_voltage_l3=_phase(outputs, 2),
        load_l1_pct=_phase(loads, 0),
        load_l2_pct=_phase(loads, 1),
        load_l3_pct=_phase(loads, 2),
        load_pct=reading.load_pct,
        output_power_w=reading.output_power_w,
        lines={key: as_dict[key] for key in ("input", "output", "bypass")}
        | {"bypass_frequency_hz": reading.bypass_frequency_hz},
        alarms=list(reading.alarms),
    )


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def record(
    ups: Ups, reading: Reading, taken_at: datetime, poll_ms: float | None = None
) -> PollOutcome:
    """Assess and store one reading of `ups`; run the after-poll steps after commit."""
    thresholds = Thresholds.from_overrides(ups.threshold_overrides or {})
    with transaction.atomic():
        # The row lock serialises two recorders of the same UPS (a trap re-poll racing a
        # scheduled poll) so that consecutive-failure counts and state_since stay right.
        status, _ = UpsStatus.objects.select_for_update().get_or_create(ups_id=ups.pk)
        previous = assessment_of(status)
        current = assess(
            reading, previous, thresholds, comm_lost_after=settings.UNMS["COMM_LOST_AFTER"]
        )
        measurement = measurement_from(ups.pk, reading, current.state, taken_at, poll_ms)
        measurement.save()
        if current.state != previous.state:
            status.state_since = taken_at
        status.state = current.state
        status.conditions = [c.as_dict() for c in current.conditions]
        status.consecutive_failures = current.consecutive_failures
        status.last_poll_at = taken_at
        if reading.reachable:
            status.last_success_at = taken_at
            status.last_error = ""
            status.measurement = measurement
        else:
            status.last_error = (reading.error or "no response")[:300]
        status.save()
        outcome = PollOutcome(ups.pk, measurement.pk, taken_at, reading, previous, current)
        transaction.on_commit(lambda: run_after_poll(outcome))
    return outcome


@cache
def _after_poll_steps() -> tuple[Callable[[PollOutcome], object], ...]:
    return tuple(import_string(path) for path in settings.UNMS["AFTER_POLL"])


def run_after_poll(outcome: PollOutcome) -> None:
    for step in _after_poll_steps():
        try:
            step(outcome)
        except Exception:
            # One broken step (a push to a dead Redis, say) must not stop the others or
            # the polling loop; the measurement is already stored.
            log.exception("after-poll step %s failed for UPS %s", step, outcome.ups_id)
