"""UpsForm on its own: the secret-field rules the admin and the import share."""

from __future__ import annotations

from typing import Any

import pytest

from monitoring.forms import SecretField, UpsForm
from monitoring.models import Ups
from tests.factories import SiteFactory, UpsFactory
from tests.inventory.conftest import SECRET


def data(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "ups-1",
        "host": "127.0.0.10",
        "port": 161,
        "snmp_version": "2c",
        "poll_interval_s": 30,
        "enabled": True,
        "community": "",
        "trap_community": "",
    }
    return {**values, **changes}


def test_an_empty_secret_is_not_a_change() -> None:
    field = SecretField()
    assert not field.has_changed(SECRET, "")
    assert field.has_changed(SECRET, "another")


@pytest.mark.django_db
def test_the_form_never_carries_the_stored_secrets_as_initial_values() -> None:
    ups = Ups(pk=1, community=SECRET, trap_community=SECRET)
    form = UpsForm(instance=ups)
    assert "community" not in form.initial
    assert "trap_community" not in form.initial
    assert SECRET not in str(form)


@pytest.mark.django_db
def test_the_community_is_required_only_for_a_new_ups() -> None:
    site = SiteFactory.create()
    assert not UpsForm(data(site=site.pk)).is_valid()
    ups = UpsFactory.create(community=SECRET, host="127.0.0.10", port=161, name="ups-1")
    form = UpsForm(data(site=ups.site.pk), instance=ups)
    assert form.is_valid(), form.errors
    assert form.save().community == SECRET


@pytest.mark.django_db
def test_a_new_trap_community_and_clear_together_are_refused() -> None:
    ups = UpsFactory.create(trap_community=SECRET, host="127.0.0.10", port=161, name="ups-1")
    form = UpsForm(
        data(site=ups.site.pk, trap_community="new", clear_trap_community=True), instance=ups
    )
    assert form.errors["clear_trap_community"] == [
        "Either type a new trap community or clear it, not both."
    ]


def test_the_clear_box_is_only_offered_on_edit() -> None:
    assert "clear_trap_community" not in UpsForm().fields
    assert "clear_trap_community" in UpsForm(instance=Ups(pk=1)).fields
