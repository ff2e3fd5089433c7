"""/metrics: Prometheus text format, label escaping, state gauges, access control."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from api.metrics import escape_label, labels, number
from monitoring.models import Ups

# name{labels} value — the exposition format's sample line (no timestamps here).
SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\} \S+$'
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ('a "b"', 'a \\"b\\"'),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines", "two\\nlines"),
    ],
)
def test_escape_label(raw: str, escaped: str) -> None:
    assert escape_label(raw) == escaped


@pytest.mark.parametrize(
    ("value", "text"), [(1.0, "1"), (0.5, "0.5"), (float("nan"), "NaN"), (float("inf"), "+Inf")]
)
def test_number(value: float, text: str) -> None:
    assert number(value) == text


def test_format(api: Client, fleet: list[Ups]) -> None:
    response = api.get("/metrics")
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    body = response.content.decode()
    assert body.endswith("\n")
    families: dict[str, str] = {}
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name not in families, f"TYPE twice for {name}"
            families[name] = kind
        elif line.startswith("# HELP "):
            continue
        else:
            assert SAMPLE.match(line), line
            assert line.split("{")[0] in families, line
    assert {"unms_ups_state", "unms_ups_load_percent", "unms_ups_input_voltage_volts"} <= set(
        families
    )
    assert set(families.values()) == {"gauge"}


def _samples(body: str, name: str) -> list[str]:
    return [line for line in body.splitlines() if line.startswith(name + "{")]


def test_state_gauges_and_values(api: Client, fleet: list[Ups]) -> None:
    body = api.get("/metrics").content.decode()
    site_region = fleet[0].site.region
    assert site_region is not None
    region = labels({"x": site_region.name})[4:-2]
    state_lines = _samples(body, "unms_ups_state")
    assert len(state_lines) == 3 * 5  # every UPS x every state
    prefix = f'unms_ups_state{{ups="ups-api-1",site="Data centre 1",region="{region}"'
    assert prefix + ',state="warning"} 1' in state_lines
    assert prefix + ',state="ok"} 0' in state_lines
    assert 'region="North \\"Quoted\\" \\\\ Region"' in body
    loads = _samples(body, "unms_ups_load_percent")
    # comm lost: its last values are stale and left out.
    assert len(loads) == 2
    assert not any("ups-api-2" in line for line in loads)
    phases = _samples(body, "unms_ups_input_voltage_volts")
    assert sum('ups="ups-api-0"' in line for line in phases) == 3
    assert any('phase="2"' in line and line.endswith(" 229") for line in phases)


def test_allow_list(db: None, fleet: list[Ups], settings: Any) -> None:
    assert Client().get("/metrics").status_code == 401
    settings.UNMS = {
        **settings.UNMS,
        "API": {**settings.UNMS["API"], "METRICS_ALLOW": ["127.10.0.0/16", "127.0.0.1/32"]},
    }
    assert Client().get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert Client(REMOTE_ADDR="127.20.1.5").get("/metrics").status_code == 401
    assert Client(REMOTE_ADDR="127.10.3.4").get("/metrics").status_code == 200
    # The allow-list is for /metrics only, never the JSON API.
    assert Client().get("/api/v1/fleet").status_code == 401
