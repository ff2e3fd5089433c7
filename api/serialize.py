"""Model rows -> JSON-ready dicts. Whitelists only: a field appears here by name or not at
all, so secrets (SNMP communities) cannot leak in through a new model field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alarms.models import Alarm
from monitoring.choices import UpsState
from monitoring.models import Measurement, Ups, UpsStatus
from monitoring.trends import iso

# Current values of a measurement, in the units their names say.
VALUE_FIELDS: tuple[str, ...] = (
    "battery_status",
    "seconds_on_battery",
    "runtime_remaining_s",
    "charge_pct",
    "battery_voltage_v",
    "battery_current_a",
    "battery_temperature_c",
    "output_source",
    "input_frequency_hz",
    "output_frequency_hz",
    "input_voltage_l1",
    "input_voltage_l2",
    "input_voltage_l3",
    "output_voltage_l1",
    "output_voltage_l2",
    "output_voltage_l3",
    "load_l1_pct",
    "load_l2_pct",
    "load_l3_pct",
    "load_pct",
    "output_power_w",
)
NAMEPLATE_FIELDS = ("model", "serial_number", "rated_va", "installed_on", "battery_installed_on")


def when(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def state_of(ups: Ups) -> UpsState:
    status: UpsStatus | None = getattr(ups, "status", None)
    if status is None or not ups.enabled:
        return UpsState.UNKNOWN
    return UpsState(status.state)


def values(m: Measurement | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"taken_at": when(m.taken_at)} | {f: getattr(m, f) for f in VALUE_FIELDS}


def ups_summary(ups: Ups) -> dict[str, Any]:
    status: UpsStatus | None = getattr(ups, "status", None)
    state = state_of(ups)
    region = ups.site.region
    return {
        "id": ups.pk,
        "name": ups.name,
        "url": ups.get_absolute_url(),
        "site": {"id": ups.site_id, "name": ups.site.name},
        "region": None if region is None else {"id": region.pk, "name": region.name},
        "enabled": ups.enabled,
        "state": state.value,
        "state_word": state.word,
        "state_since": when(status.state_since) if status else None,
        "reasons": status.reasons if status else [],
        "last_poll_at": when(status.last_poll_at) if status else None,
        "last_success_at": when(status.last_success_at) if status else None,
        "values": values(status.measurement) if status else None,
    }


def ups_detail(ups: Ups) -> dict[str, Any]:
    status: UpsStatus | None = getattr(ups, "status", None)
    m = status.measurement if status else None
    return ups_summary(ups) | {
        "host": ups.host,
        "port": ups.port,
        "snmp_version": ups.snmp_version,
        "poll_interval_s": ups.poll_interval_s,
        "nameplate": {
            f: (v.isoformat() if hasattr(v, "isoformat") else v)
            for f in NAMEPLATE_FIELDS
            for v in [getattr(ups, f)]
        },
        "status": None
        if status is None
        else {
            "conditions": status.conditions,
            "consecutive_failures": status.consecutive_failures,
            "last_error": status.last_error,
        },
        "lines": None if m is None else m.lines,
        "card_alarms": None if m is None else m.alarms,
    }


def alarm(a: Alarm) -> dict[str, Any]:
    return {
        "id": a.pk,
        "url": a.get_absolute_url(),
        "ups": {"id": a.ups_id, "name": a.ups.name},
        "site": {"id": a.ups.site_id, "name": a.ups.site.name},
        "kind": a.kind,
        "kind_label": a.kind_label,
        "severity": a.severity,
        "state": a.state,
        "message": a.message,
        "source": a.source,
        "raised_at": when(a.raised_at),
        "last_seen_at": when(a.last_seen_at),
        "cleared_at": when(a.cleared_at),
        "acknowledged_at": when(a.acknowledged_at),
        "acknowledged_by": a.acknowledged_by.get_username() if a.acknowledged_by else None,
        "occurrences": a.occurrences,
        "chattering": a.chattering,
        "latched": a.latched,
    }


def episode(a: Alarm) -> dict[str, Any]:
    """An alarm as a shaded span on a chart's time axis."""
    return {
        "id": a.pk,
        "kind": a.kind,
        "label": a.kind_label,
        "severity": a.severity,
        "start": when(a.raised_at),
        "end": when(a.cleared_at),
        "url": a.get_absolute_url(),
    }
