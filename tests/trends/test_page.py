"""The UPS page: current values per phase, charts wired to the readings API, plotly
served from our static files, timeline kept, edit link for staff only."""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.test import Client

from monitoring.models import Ups, UpsStatus
from monitoring.trends import CHARTS
from tests.factories import AdminFactory, MeasurementFactory, UpsFactory


def _ups_with_values() -> Ups:
    ups = UpsFactory.create(name="ups-page", community="never-shown-community")
    m = MeasurementFactory.create(
        ups=ups,
        lines={
            "input": [{"voltage_v": 231.5, "frequency_hz": 50.0}, {"voltage_v": 229.5}],
            "output": [{"voltage_v": 230.0, "load_pct": 41.0}],
            "bypass": [{"voltage_v": 232.25}],
            "bypass_frequency_hz": 50.1,
        },
    )
    UpsStatus.objects.create(ups=ups, state="ok", measurement=m)
    return ups


def test_page_shows_values_and_chart_slots(operator_client: Client) -> None:
    ups = _ups_with_values()
    response = operator_client.get(f"/ups/{ups.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for chart in CHARTS:
        assert f'data-chart="{chart.key}"' in html
    assert f'data-readings-url="/api/v1/ups/{ups.pk}/readings"' in html
    assert "/static/vendor/plotly/plotly.min.js" in html
    assert "/static/js/trends.js" in html
    assert "cdn" not in html.lower()
    for value in ("231.5", "229.5", "232.25", "41.0", "50.1"):
        assert value in html
    assert 'id="timeline"' in html  # the alarm timeline include is kept
    assert "Export shown series (CSV)" in html
    assert "never-shown-community" not in html
    assert "Edit this UPS" not in html


def test_staff_see_the_edit_link(db: None) -> None:
    ups = _ups_with_values()
    client = Client()
    client.force_login(AdminFactory.create())
    html = client.get(f"/ups/{ups.pk}/").content.decode()
    assert f"/admin/monitoring/ups/{ups.pk}/change/" in html


def test_page_without_status(operator_client: Client) -> None:
    ups = UpsFactory.create()
    html = operator_client.get(f"/ups/{ups.pk}/").content.decode()
    assert "Not polled yet." in html
    assert 'id="trends"' in html


def test_vendored_plotly_and_its_licence() -> None:
    found = finders.find("vendor/plotly/plotly.min.js")
    assert found, "plotly.js must be served from our static files"
    text = Path(found).read_text(encoding="utf-8")[:300]
    assert "plotly.js v3." in text
    licence = Path(str(found)).with_name("LICENSE").read_text()
    assert "MIT" in licence or "Permission is hereby granted" in licence
