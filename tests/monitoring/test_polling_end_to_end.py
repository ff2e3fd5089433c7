"""Simulator → engine → database → page, over real UDP on loopback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from monitoring.choices import ConditionKind, OutputSource, UpsState
from monitoring.models import Measurement, Ups, UpsStatus
from monitoring.polling import poll_sync
from monitoring.scheduler import claim_due
from simulator import SimulatorThread
from tests.monitoring.conftest import ups_rows_for

pytestmark = pytest.mark.django_db(transaction=True)


def poll_all_due() -> list[int]:
    claims = claim_due(timezone.now() + timedelta(hours=1), limit=100)
    poll_sync([c.ups_id for c in claims])
    return [c.ups_id for c in claims]


def make_due(*upses: Ups) -> None:
    Ups.objects.filter(pk__in=[u.pk for u in upses]).update(next_poll_at=timezone.now())


def test_a_round_stores_one_measurement_and_the_state_of_every_ups(
    sim_fleet: SimulatorThread,
) -> None:
    rows = ups_rows_for(sim_fleet)

    polled = poll_all_due()

    assert sorted(polled) == sorted(u.pk for u in rows.values())
    assert Measurement.objects.count() == 4
    three_phase = Measurement.objects.get(ups=rows["UPS-004"])
    assert three_phase.reachable
    assert three_phase.output_source == OutputSource.NORMAL
    assert three_phase.output_voltage_l3 is not None
    assert len(three_phase.lines["output"]) == 3
    single = Measurement.objects.get(ups=rows["UPS-001"])
    assert single.output_voltage_l2 is None
    assert all(s.state == UpsState.OK for s in UpsStatus.objects.all())


def test_mains_failure_turns_the_ups_amber_with_its_reason(sim_fleet: SimulatorThread) -> None:
    rows = ups_rows_for(sim_fleet)
    poll_all_due()

    sim_fleet.set_scenario("UPS-002", "mains_failure")
    make_due(*rows.values())
    poll_all_due()

    status = UpsStatus.objects.get(ups=rows["UPS-002"])
    assert status.state == UpsState.WARNING
    assert ConditionKind.ON_BATTERY in [c["kind"] for c in status.conditions]
    assert any(reason.startswith("on battery") for reason in status.reasons)
    assert UpsStatus.objects.get(ups=rows["UPS-001"]).state == UpsState.OK


def test_a_silent_ups_is_comm_lost_after_three_polls_and_back_at_the_first_answer(
    sim_fleet: SimulatorThread, settings: object
) -> None:
    settings.UNMS = {**settings.UNMS, "SNMP_TIMEOUT_S": 0.2, "SNMP_RETRIES": 0}  # type: ignore[attr-defined]
    rows = ups_rows_for(sim_fleet)
    poll_all_due()
    sim_fleet.set_scenario("UPS-003", "comm_loss")

    states = []
    for _ in range(3):
        make_due(rows["UPS-003"])
        poll_all_due()
        states.append(UpsStatus.objects.get(ups=rows["UPS-003"]).state)

    assert states == [UpsState.OK, UpsState.OK, UpsState.COMM_LOST]
    # Every poll leaves a row, reachable or not, so history shows the outage.
    assert Measurement.objects.filter(ups=rows["UPS-003"], reachable=False).count() == 3

    sim_fleet.set_scenario("UPS-003", "normal")
    make_due(rows["UPS-003"])
    poll_all_due()
    assert UpsStatus.objects.get(ups=rows["UPS-003"]).state == UpsState.OK


def test_wrong_community_is_a_failed_poll_whose_error_does_not_show_the_community(
    sim_fleet: SimulatorThread, settings: object
) -> None:
    settings.UNMS = {**settings.UNMS, "SNMP_TIMEOUT_S": 0.2, "SNMP_RETRIES": 0}  # type: ignore[attr-defined]
    rows = ups_rows_for(sim_fleet, community="s3cret-wrong")

    poll_all_due()

    status = UpsStatus.objects.get(ups=rows["UPS-001"])
    assert status.consecutive_failures == 1
    assert "no response" in status.last_error
    assert "s3cret-wrong" not in status.last_error


def test_fleet_page_shows_every_ups_with_its_state_and_values(
    sim_fleet: SimulatorThread, admin_client: Client
) -> None:
    rows = ups_rows_for(sim_fleet)
    sim_fleet.set_scenario("UPS-002", "overload")
    poll_all_due()

    page = admin_client.get("/").content.decode()

    for name in rows:
        assert name in page
    assert 'data-state="critical"' in page
    assert "output overload" in page
    assert "Load " in page

    detail = admin_client.get(f"/ups/{rows['UPS-004'].pk}/").content.decode()
    assert "Output, per phase" in detail
    assert "L3" in detail
