"""UPS physics without the network."""

from __future__ import annotations

from simulator import make_fleet
from simulator.model import SCENARIOS, UpsModel


def run_until_low(ups: UpsModel, step_s: float, limit_s: float) -> float:
    elapsed = 0.0
    while ups.battery_status != 3:
        ups.step(step_s, 0)
        elapsed += step_s
        assert elapsed < limit_s, f"{ups.name} not low after {elapsed} s"
    return elapsed


def test_runtime_falls_as_the_load_rises():
    ups = UpsModel.create("UPS-001")
    ups.load_pct = 25.0
    light = ups.runtime_min
    ups.load_pct = 75.0
    assert ups.runtime_min < light / 2


def test_at_speed_20_every_ups_of_a_fleet_reaches_low_battery_within_three_minutes():
    for spec in make_fleet(30):
        ups = UpsModel.create(spec.name, spec.model)
        ups.set_scenario("mains_failure", 0)
        real_seconds = run_until_low(ups, step_s=20.0, limit_s=20 * 180) / 20
        assert real_seconds <= 180


def test_charge_recovers_on_mains_and_the_load_stays_near_its_base():
    ups = UpsModel.create("UPS-007")
    ups.set_scenario("mains_failure", 0)
    for _ in range(60):
        ups.step(10.0, 0)
    drained = ups.charge_pct
    ups.set_scenario("mains_return", 0)
    for _ in range(60):
        ups.step(10.0, 0)
    assert ups.charge_pct > drained
    assert abs(ups.load_pct - ups.base_load) <= 11


def test_every_scenario_has_a_description_and_valid_successor():
    for scenario in SCENARIOS.values():
        assert scenario.description
        assert scenario.then is None or scenario.then in SCENARIOS


def test_the_same_name_always_simulates_the_same_ups():
    assert UpsModel.create("UPS-042").load_pct == UpsModel.create("UPS-042").load_pct
