"""Prometheus text exposition (format 0.0.4) of the fleet: one gauge per UPS value and
the state as one 0/1 series per possible state (the usual "enum as gauges" pattern).

Hand-written: a few families, one query (the fleet page's), no client library needed.
Values of a UPS whose communication is lost are left out (its last values are stale);
`unms_ups_state{state="comm_lost"} 1` and the poll timestamps say why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from accounts.roles import restrict
from api.auth import address_allowed, authenticate, token_from
from api.serialize import state_of
from monitoring.choices import UpsState
from monitoring.models import Measurement, Ups

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Gauge:
    name: str
    help: str
    # measurement -> [(extra labels, value)]; None values are skipped.
    read: Callable[[Measurement], list[tuple[dict[str, str], float | None]]]


def _field(name: str) -> Callable[[Measurement], list[tuple[dict[str, str], float | None]]]:
    return lambda m: [({}, getattr(m, name))]


def _phases(
    pattern: str,
) -> Callable[[Measurement], list[tuple[dict[str, str], float | None]]]:
    # pattern: the column name with {n} for the phase, e.g. "load_l{n}_pct".
    return lambda m: [({"phase": str(n)}, getattr(m, pattern.format(n=n))) for n in (1, 2, 3)]


GAUGES: tuple[Gauge, ...] = (
    Gauge(
        "unms_ups_load_percent", "Load of the most loaded output line, percent.", _field("load_pct")
    ),
    Gauge(
        "unms_ups_output_load_percent", "Load per output line, percent.", _phases("load_l{n}_pct")
    ),
    Gauge(
        "unms_ups_battery_charge_percent",
        "Estimated battery charge, percent.",
        _field("charge_pct"),
    ),
    Gauge(
        "unms_ups_runtime_remaining_seconds",
        "Estimated runtime on battery, seconds.",
        _field("runtime_remaining_s"),
    ),
    Gauge(
        "unms_ups_on_battery_seconds",
        "Time on battery, seconds (0 on mains).",
        _field("seconds_on_battery"),
    ),
    Gauge("unms_ups_battery_voltage_volts", "Battery voltage, volts.", _field("battery_voltage_v")),
    Gauge(
        "unms_ups_battery_current_amperes", "Battery current, amperes.", _field("battery_current_a")
    ),
    Gauge(
        "unms_ups_battery_temperature_celsius",
        "Battery temperature, degrees Celsius.",
        _field("battery_temperature_c"),
    ),
    Gauge(
        "unms_ups_input_voltage_volts",
        "Input voltage per phase, volts.",
        _phases("input_voltage_l{n}"),
    ),
    Gauge(
        "unms_ups_output_voltage_volts",
        "Output voltage per phase, volts.",
        _phases("output_voltage_l{n}"),
    ),
    Gauge(
        "unms_ups_input_frequency_hertz", "Input frequency, hertz.", _field("input_frequency_hz")
    ),
    Gauge(
        "unms_ups_output_frequency_hertz", "Output frequency, hertz.", _field("output_frequency_hz")
    ),
    Gauge(
        "unms_ups_output_power_watts", "Output power, all lines, watts.", _field("output_power_w")
    ),
)


def escape_label(value: str) -> str:
    """Label values: backslash, double quote and line feed are escaped (exposition format)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def labels(pairs: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{escape_label(v)}"' for k, v in pairs.items()) + "}"


def number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def _base_labels(ups: Ups) -> dict[str, str]:
    region = ups.site.region
    return {"ups": ups.name, "site": ups.site.name, "region": region.name if region else ""}


def exposition(upses: list[Ups]) -> Iterator[str]:
    """The lines of the answer, family by family (HELP and TYPE once per family)."""
    yield "# HELP unms_ups_state Current traffic-light state of the UPS (1 = in that state)."
    yield "# TYPE unms_ups_state gauge"
    for ups in upses:
        current = state_of(ups)
        for state in UpsState:
            pairs = _base_labels(ups) | {"state": state.value}
            yield f"unms_ups_state{labels(pairs)} {int(state == current)}"
    for name, help_text, attribute in (
        (
            "unms_ups_last_poll_timestamp_seconds",
            "Time of the last poll attempt (Unix).",
            "last_poll_at",
        ),
        (
            "unms_ups_last_success_timestamp_seconds",
            "Time of the last answered poll (Unix).",
            "last_success_at",
        ),
    ):
        yield f"# HELP {name} {escape_help(help_text)}"
        yield f"# TYPE {name} gauge"
        for ups in upses:
            status = getattr(ups, "status", None)
            at = getattr(status, attribute, None) if status else None
            if at is not None:
                yield f"{name}{labels(_base_labels(ups))} {number(round(at.timestamp(), 3))}"
    live = [
        (ups, ups.status.measurement)
        for ups in upses
        if state_of(ups) not in (UpsState.COMM_LOST, UpsState.UNKNOWN)
        and getattr(ups, "status", None) is not None
        and ups.status.measurement is not None
    ]
    for gauge in GAUGES:
        yield f"# HELP {gauge.name} {escape_help(gauge.help)}"
        yield f"# TYPE {gauge.name} gauge"
        for ups, m in live:
            for extra, value in gauge.read(m):
                if value is not None:
                    yield f"{gauge.name}{labels(_base_labels(ups) | extra)} {number(value)}"


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """GET /metrics: an API token, a logged-in session, or an allow-listed address.

    A token or session sees its user's scope (accounts.roles); an allow-listed address
    without either (the Prometheus server the administrator listed) sees the whole fleet.
    """
    qs = Ups.objects.select_related("site__region", "status__measurement").order_by("name")
    if token_from(request) is not None or request.user.is_authenticated:
        user, failure = authenticate(request)
        if failure is not None:
            return failure
        qs = restrict(user, qs, "site")
    elif not address_allowed(request):
        _, failure = authenticate(request)
        if failure is not None:
            return failure
    upses: list[Any] = list(qs)
    body = "\n".join(exposition(upses)) + "\n"
    return HttpResponse(body, content_type=CONTENT_TYPE)
