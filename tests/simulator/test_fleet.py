"""Fleet definitions: the generator, the JSON format and validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator import UpsSpec, load_fleet, make_fleet, save_fleet


def test_make_fleet_puts_each_ups_on_the_next_loopback_address():
    fleet = make_fleet(12, "127.0.0.250", port=1161)
    assert [u.name for u in fleet[:2]] == ["UPS-001", "UPS-002"]
    assert [u.address for u in fleet[4:8]] == [
        "127.0.0.254",
        "127.0.0.255",
        "127.0.1.0",
        "127.0.1.1",
    ]
    assert {u.port for u in fleet} == {1161}


def test_every_fifth_generated_ups_is_three_phase():
    fleet = make_fleet(10)
    assert [u.model for u in fleet].count("three") == 2
    assert fleet[4].model == "three"


def test_a_fleet_round_trips_through_its_json_file(tmp_path: Path):
    fleet = make_fleet(3, quirks=["no_dot_zero"], trap_target="127.0.0.1:1162", trap_version="1")
    path = tmp_path / "fleet.json"
    save_fleet(fleet, path)
    assert load_fleet(path) == fleet
    data = json.loads(path.read_text())
    assert set(data[0]) >= {
        "name",
        "address",
        "port",
        "community",
        "model",
        "sys_object_id",
        "quirks",
        "scenario",
        "trap_target",
        "trap_version",
        "trap_community",
    }


def test_a_minimal_fleet_file_needs_only_names(tmp_path: Path):
    path = tmp_path / "fleet.json"
    path.write_text(
        json.dumps({"ups": [{"name": "A"}, {"name": "B", "model": "three", "site": "Hall 2"}]})
    )
    a, b = load_fleet(path)
    assert (a.address, a.port, a.community, a.model) == ("127.0.0.2", 1161, "public", "single")
    assert b.extra == {"site": "Hall 2"}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"address": "192.168.1.10"}, "loopback"),  # refused: never bound
        ({"address": "localhost"}, "not an IP address"),
        ({"trap_target": "8.8.8.8:162"}, "loopback"),
        ({"model": "tri"}, "model"),
        ({"quirks": ["wobbly"]}, "unknown quirks"),
        ({"scenario": "meteor"}, "unknown scenario"),
        ({"trap_version": "3"}, "trap_version"),
        ({"trap_oid_form": "odd"}, "trap_oid_form"),
    ],
)
def test_invalid_specs_are_refused_with_a_reason(fields: dict, error: str):
    with pytest.raises(ValueError, match=error):
        UpsSpec("UPS-X", **fields)


def test_duplicate_names_in_a_file_are_refused(tmp_path: Path):
    path = tmp_path / "fleet.json"
    path.write_text(json.dumps([{"name": "A"}, {"name": "A"}]))
    with pytest.raises(ValueError, match="unique"):
        load_fleet(path)


def test_a_fleet_cannot_leave_the_loopback_network():
    with pytest.raises(ValueError, match="leave"):
        make_fleet(3, "127.255.255.254")
