from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from monitoring.choices import UpsState
from monitoring.models import Ups
from tests.factories import (
    MeasurementFactory,
    RegionFactory,
    SiteFactory,
    UpsFactory,
    UpsStatusFactory,
)
from tests.inventory.conftest import SECRET, TRAP_SECRET

pytestmark = pytest.mark.django_db


def form_data(ups: Ups | None = None, **changes: Any) -> dict[str, Any]:
    """What the browser posts for the UPS change form, secrets left empty."""
    site = ups.site if ups else SiteFactory.create()
    data: dict[str, Any] = {
        "name": ups.name if ups else "ups-new",
        "site": site.pk,
        "enabled": "on",
        "notes": "",
        "host": ups.host if ups else "192.0.2.10",
        "port": ups.port if ups else 161,
        "snmp_version": "2c",
        "community": "",
        "trap_community": "",
        "poll_interval_s": 30,
        "profile": "",
        "profile_overrides": "{}",
        "threshold_overrides": "{}",
        "model": "",
        "serial_number": "",
        "rated_va": "",
        "installed_on": "",
        "battery_installed_on": "",
        # The sensor points inline, empty: what the browser sends when none is added.
        "sensor_points-TOTAL_FORMS": 0,
        "sensor_points-INITIAL_FORMS": 0 if ups is None else ups.sensor_points.count(),
        "sensor_points-MIN_NUM_FORMS": 0,
        "sensor_points-MAX_NUM_FORMS": 1000,
    }
    data.update(changes)
    return data


@pytest.fixture
def secret_ups() -> Ups:
    return UpsFactory.create(community=SECRET, trap_community=TRAP_SECRET)


class TestPagesLoad:
    def test_every_changelist_loads_for_a_superuser(self, admin_client: Client) -> None:
        status = UpsStatusFactory.create(
            ups=UpsFactory.create(site=SiteFactory.create(region=RegionFactory.create()))
        )
        MeasurementFactory.create(ups=status.ups)
        for model in ("region", "site", "ups", "upsstatus", "measurement"):
            response = admin_client.get(reverse(f"admin:monitoring_{model}_changelist"))
            assert response.status_code == 200, model

    def test_add_and_change_pages_of_the_inventory_load(
        self, admin_client: Client, secret_ups: Ups
    ) -> None:
        site = secret_ups.site
        for url in (
            reverse("admin:monitoring_ups_add"),
            reverse("admin:monitoring_ups_change", args=[secret_ups.pk]),
            reverse("admin:monitoring_site_add"),
            reverse("admin:monitoring_site_change", args=[site.pk]),
            reverse("admin:monitoring_region_add"),
        ):
            assert admin_client.get(url).status_code == 200, url

    def test_status_and_measurements_can_be_viewed_but_not_added_or_changed(
        self, admin_client: Client
    ) -> None:
        status = UpsStatusFactory.create()
        measurement = MeasurementFactory.create(ups=status.ups)
        for model, pk in (("upsstatus", status.pk), ("measurement", measurement.pk)):
            view = admin_client.get(reverse(f"admin:monitoring_{model}_change", args=[pk]))
            assert view.status_code == 200
            assert b'name="_save"' not in view.content
            add = admin_client.get(reverse(f"admin:monitoring_{model}_add"))
            assert add.status_code == 403

    def test_an_operator_without_staff_rights_is_sent_to_the_admin_login(
        self, operator_client: Client
    ) -> None:
        response = operator_client.get(reverse("admin:monitoring_ups_changelist"))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


class TestChangelists:
    def test_the_ups_list_shows_the_state_from_the_status(self, admin_client: Client) -> None:
        UpsStatusFactory.create(ups=UpsFactory.create(name="ups-critical"), state=UpsState.CRITICAL)
        UpsFactory.create(name="ups-never-polled")
        response = admin_client.get(reverse("admin:monitoring_ups_changelist"))
        html = response.content.decode()
        assert "Critical" in html
        assert "ups-never-polled" in html

    def test_the_site_list_counts_the_upss_of_each_site(self, admin_client: Client) -> None:
        site = SiteFactory.create(name="Paris")
        UpsFactory.create_batch(3, site=site)
        response = admin_client.get(reverse("admin:monitoring_site_changelist"))
        site_row = next(r for r in response.context["cl"].result_list if r.pk == site.pk)
        assert site_row.ups_total == 3

    def test_the_ups_list_can_be_searched_by_name_host_and_serial_number(
        self, admin_client: Client
    ) -> None:
        UpsFactory.create(name="ups-lobby", host="ups-lobby.example.net", serial_number="SN-123")
        UpsFactory.create(name="ups-other")
        url = reverse("admin:monitoring_ups_changelist")
        for term in ("lobby", "ups-lobby.example", "SN-123"):
            assert admin_client.get(url, {"q": term}).context["cl"].result_count == 1, term


class TestCommunitiesStaySecret:
    def test_the_change_form_never_contains_the_communities(
        self, admin_client: Client, secret_ups: Ups
    ) -> None:
        response = admin_client.get(reverse("admin:monitoring_ups_change", args=[secret_ups.pk]))
        html = response.content.decode()
        assert 'type="password"' in html
        assert SECRET not in html
        assert TRAP_SECRET not in html

    def test_the_changelist_never_contains_the_communities(
        self, admin_client: Client, secret_ups: Ups
    ) -> None:
        html = admin_client.get(reverse("admin:monitoring_ups_changelist")).content.decode()
        assert secret_ups.name in html
        assert SECRET not in html
        assert TRAP_SECRET not in html

    def test_validation_errors_never_echo_the_typed_communities(self, admin_client: Client) -> None:
        response = admin_client.post(
            reverse("admin:monitoring_ups_add"),
            form_data(
                port=70000, snmp_version=SECRET, community=SECRET, trap_community=TRAP_SECRET
            ),
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "less than or equal to 65535" in html
        assert "Select a valid SNMP version" in html
        assert SECRET not in html
        assert TRAP_SECRET not in html

    def test_a_too_long_community_is_refused_without_echoing_it(self, admin_client: Client) -> None:
        too_long = SECRET * 20
        response = admin_client.post(
            reverse("admin:monitoring_ups_add"), form_data(community=too_long)
        )
        html = response.content.decode()
        assert "at most 255 characters" in html
        assert SECRET not in html

    def test_searching_for_a_community_finds_nothing(
        self, admin_client: Client, secret_ups: Ups
    ) -> None:
        response = admin_client.get(reverse("admin:monitoring_ups_changelist"), {"q": SECRET})
        assert response.context["cl"].result_count == 0

    @pytest.mark.parametrize("lookup", ["community", "community__startswith", "trap_community"])
    def test_filtering_on_a_community_in_the_url_is_refused(
        self, admin_client: Client, secret_ups: Ups, lookup: str
    ) -> None:
        # Otherwise the row count answers "is the community X?" one guess at a time.
        response = admin_client.get(reverse("admin:monitoring_ups_changelist"), {lookup: "s"})
        assert response.status_code == 400


class TestSavingCommunities:
    def test_a_new_ups_needs_a_community(self, admin_client: Client) -> None:
        response = admin_client.post(reverse("admin:monitoring_ups_add"), form_data())
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["community"] == ["This field is required."]
        assert not Ups.objects.exists()

    def test_a_new_ups_is_saved_with_the_typed_community(self, admin_client: Client) -> None:
        response = admin_client.post(
            reverse("admin:monitoring_ups_add"), form_data(community=SECRET)
        )
        assert response.status_code == 302
        ups = Ups.objects.get()
        assert ups.community == SECRET
        assert ups.trap_community == ""

    def test_an_empty_community_on_edit_keeps_the_stored_ones(
        self, admin_client: Client, secret_ups: Ups
    ) -> None:
        response = admin_client.post(
            reverse("admin:monitoring_ups_change", args=[secret_ups.pk]),
            form_data(secret_ups, notes="battery replaced"),
        )
        assert response.status_code == 302
        secret_ups.refresh_from_db()
        assert secret_ups.notes == "battery replaced"
        assert secret_ups.community == SECRET
        assert secret_ups.trap_community == TRAP_SECRET

    def test_a_typed_community_on_edit_replaces_the_stored_one(
        self, admin_client: Client, secret_ups: Ups
    ) -> None:
        admin_client.post(
            reverse("admin:monitoring_ups_change", args=[secret_ups.pk]),
            form_data(secret_ups, community="new-community"),
        )
        secret_ups.refresh_from_db()
        assert secret_ups.community == "new-community"
        assert secret_ups.trap_community == TRAP_SECRET

    def test_the_trap_community_can_be_cleared_to_fall_back_to_the_read_one(
        self, admin_client: Client, secret_ups: Ups
    ) -> None:
        admin_client.post(
            reverse("admin:monitoring_ups_change", args=[secret_ups.pk]),
            form_data(secret_ups, clear_trap_community="on"),
        )
        secret_ups.refresh_from_db()
        assert secret_ups.trap_community == ""
        assert secret_ups.effective_trap_community == SECRET

    def test_the_change_history_names_the_community_but_never_its_value(
        self, admin_client: Client, secret_ups: Ups
    ) -> None:
        admin_client.post(
            reverse("admin:monitoring_ups_change", args=[secret_ups.pk]),
            form_data(secret_ups, community="rotated-community"),
        )
        history = admin_client.get(reverse("admin:monitoring_ups_history", args=[secret_ups.pk]))
        html = history.content.decode()
        assert "Community" in html
        assert "rotated-community" not in html
        assert SECRET not in html


class TestOtherValidation:
    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("host", "not a host", "Enter an IP address or a host name"),
            ("poll_interval_s", 2, "greater than or equal to 5"),
            ("threshold_overrides", '{"load_warning_pct": "high"}', "must be a number"),
            ("threshold_overrides", "[70]", "Enter a JSON object"),
            ("profile_overrides", '{"no.such_field": {"scale": 2}}', "unknown field"),
            ("profile", "no-such-profile", "Select a valid choice"),
        ],
    )
    def test_the_model_rules_apply_in_the_admin(
        self, admin_client: Client, field: str, value: Any, message: str
    ) -> None:
        response = admin_client.post(
            reverse("admin:monitoring_ups_add"), form_data(community=SECRET, **{field: value})
        )
        errors = response.context["adminform"].form.errors
        assert message in " ".join(errors[field])
        assert not Ups.objects.exists()
