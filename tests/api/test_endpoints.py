"""Every endpoint's answer, the OpenAPI document, and no community anywhere."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver
from django.utils import timezone

from api import urls as api_urls
from monitoring.models import Ups
from tests.api.conftest import SECRET


def test_fleet(api: Client, fleet: list[Ups]) -> None:
    data = api.get("/api/v1/fleet").json()
    assert data["counts"]["ok"] == 1
    assert data["counts"]["warning"] == 1
    assert data["counts"]["comm_lost"] == 1
    names = [u["name"] for u in data["upses"]]
    assert sorted(names) == ["ups-api-0", "ups-api-1", "ups-api-2"]
    warn = next(u for u in data["upses"] if u["name"] == "ups-api-1")
    assert warn["state"] == "warning"
    assert warn["reasons"] == ["load 81 %"]
    assert warn["values"]["load_pct"] == 31.0
    assert warn["region"]["name"].startswith("North")
    assert warn["url"] == f"/ups/{warn['id']}/"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=warning", ["ups-api-1"]),
        ("state=comm_lost", ["ups-api-2"]),
        ("site={site}", ["ups-api-0", "ups-api-1"]),
    ],
)
def test_fleet_filters(api: Client, fleet: list[Ups], query: str, expected: list[str]) -> None:
    data = api.get("/api/v1/fleet?" + query.format(site=fleet[0].site_id)).json()
    assert sorted(u["name"] for u in data["upses"]) == expected


def test_fleet_bad_filter(api: Client, fleet: list[Ups]) -> None:
    assert api.get("/api/v1/fleet?state=purple").status_code == 400
    assert api.get("/api/v1/fleet?site=x").status_code == 400


def test_ups_detail(api: Client, fleet: list[Ups]) -> None:
    ups = fleet[0]
    data = api.get(f"/api/v1/ups/{ups.pk}").json()
    assert data["name"] == ups.name
    assert data["state"] == "ok"
    assert data["values"]["input_voltage_l2"] == 229.0
    assert set(data["nameplate"]) == {
        "model",
        "serial_number",
        "rated_va",
        "installed_on",
        "battery_installed_on",
    }
    assert data["links"]["readings"] == f"/api/v1/ups/{ups.pk}/readings"
    assert api.get("/api/v1/ups/999999").status_code == 404


def test_readings(api: Client, fleet: list[Ups]) -> None:
    ups = fleet[1]
    data = api.get(f"/api/v1/ups/{ups.pk}/readings?range=1h").json()
    assert data["range"]["key"] == "1h"
    assert data["source"] == "raw"
    assert data["points"] == 1
    load = next(c for c in data["charts"] if c["key"] == "load")
    assert load["series"][0]["avg"] == [31.0]
    voltage = next(c for c in data["charts"] if c["key"] == "input_voltage")
    assert [s["label"] for s in voltage["series"]] == ["L1", "L2", "L3"]
    (episode,) = data["alarms"]
    assert episode["kind"] == "OnBattery"
    assert episode["end"] is None


def test_readings_custom_range(api: Client, fleet: list[Ups]) -> None:
    start = (timezone.now() - timedelta(days=2)).isoformat()
    end = (timezone.now() - timedelta(days=1)).isoformat()
    data = api.get(f"/api/v1/ups/{fleet[0].pk}/readings", {"start": start, "end": end}).json()
    assert data["range"]["key"] == "custom"
    assert data["points"] == 0


@pytest.mark.parametrize(
    "query", ["range=2w", "start=yesterday", "start=2026-01-02T00:00Z&end=2026-01-01T00:00Z"]
)
def test_readings_bad_range(api: Client, fleet: list[Ups], query: str) -> None:
    response = api.get(f"/api/v1/ups/{fleet[0].pk}/readings?{query}")
    assert response.status_code == 400
    assert "error" in response.json()


def test_readings_csv(api: Client, fleet: list[Ups]) -> None:
    response = api.get(f"/api/v1/ups/{fleet[0].pk}/readings.csv?range=1h")
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="ups-api-0-1h-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["time (UTC)", "samples"]
    assert len(rows) == 2
    assert rows[1][rows[0].index("load_pct avg (%)")] == "30.0"


def test_alarm_search_uses_the_history_filters(api: Client, fleet: list[Ups]) -> None:
    everything = api.get("/api/v1/alarms").json()
    assert everything["count"] == 3
    assert not everything["count_capped"]
    assert api.get("/api/v1/alarms?state=active").json()["count"] == 1
    assert api.get("/api/v1/alarms?severity=critical").json()["count"] == 1
    assert api.get(f"/api/v1/alarms?ups={fleet[0].pk}").json()["count"] == 1
    assert api.get(f"/api/v1/alarms?site={fleet[2].site_id}").json()["count"] == 1
    assert api.get("/api/v1/alarms?q=load+high").json()["count"] == 1
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert api.get(f"/api/v1/alarms?since={since}").json()["count"] == 2
    row = everything["results"][0]
    assert {"id", "ups", "site", "kind", "severity", "state", "raised_at", "cleared_at"} <= set(row)


def test_alarm_search_pages(api: Client, fleet: list[Ups]) -> None:
    first = api.get("/api/v1/alarms?limit=2&sort=newest").json()
    assert len(first["results"]) == 2
    assert first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert len(set(ids)) == 3


def test_alarm_search_bad_filter(api: Client, fleet: list[Ups]) -> None:
    response = api.get("/api/v1/alarms?severity=purple")
    assert response.status_code == 400
    assert "severity" in response.json()["errors"]


def _api_routes() -> set[str]:
    routes = set()
    for p in api_urls.urlpatterns:
        assert isinstance(p, URLPattern)
        routes.add("/" + str(p.pattern).replace("<int:pk>", "{id}"))
    return routes


def test_openapi_document_lists_every_endpoint(db: None) -> None:
    response = Client().get("/api/openapi.json")  # public: no data in it
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == _api_routes()
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    # Every $ref points at something that exists.
    text = response.content.decode()
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/')[1:]}:
        section, name = ref.split("/")
        assert name in doc["components"][section]


def test_no_community_in_any_answer(api: Client, fleet: list[Ups]) -> None:
    ups = fleet[0]
    urls = [
        "/api/v1/fleet",
        f"/api/v1/ups/{ups.pk}",
        f"/api/v1/ups/{ups.pk}/readings?range=24h",
        f"/api/v1/ups/{ups.pk}/readings.csv?range=24h",
        "/api/v1/alarms",
        "/api/openapi.json",
        "/metrics",
    ]
    for url in urls:
        response = api.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert SECRET not in body, url
        assert "community" not in body.lower(), url


def test_every_api_route_is_authenticated(db: None) -> None:
    resolver = get_resolver()
    assert resolver.resolve("/metrics").url_name == "metrics"
    for route in _api_routes() - {"/openapi.json"}:
        url = "/api" + route.replace("{id}", "1")
        assert Client().get(url).status_code == 401, url
