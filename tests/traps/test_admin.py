"""The trap log admin: read-only, and misconfigured cards spelled out for the administrator."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from monitoring.models import Trap, Ups

pytestmark = pytest.mark.django_db


def trap(**fields: object) -> Trap:
    defaults: dict[str, object] = {
        "received_at": timezone.now(),
        "source_port": 40000,
        "version": "2c",
        "trap_oid": "1.3.6.1.2.1.33.2.1",
    }
    return Trap.objects.create(**(defaults | fields))


def test_changelist_names_unknown_sources_and_wrong_communities(
    admin_client: Client, make_ups: Callable[..., Ups]
) -> None:
    ups = make_ups("UPS-ADM", "127.0.0.40")
    for _ in range(3):
        trap(source_address="127.0.0.9")
    trap(source_address="127.0.0.40", ups=ups, community_ok=False)
    trap(source_address="127.0.0.40", ups=ups, community_ok=True, kind="on_battery")
    trap(source_address="127.0.0.40", ups=ups, error="BerError: truncated", raw_hex="30")

    page = admin_client.get("/admin/monitoring/trap/").content.decode()
    assert "Traps from 127.0.0.9: no UPS has this address — add the UPS or fix the card" in page
    assert "(3 traps in the last 7 days)" in page
    assert "Traps from 127.0.0.40 (UPS-ADM) carry the wrong community" in page
    assert "127.0.0.9 (3 traps)" in page  # the per-address filter entry

    for verdict, expected in (("unknown", 3), ("community", 1), ("accepted", 1), ("malformed", 1)):
        response = admin_client.get(f"/admin/monitoring/trap/?verdict={verdict}")
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == expected
    only = admin_client.get("/admin/monitoring/trap/?unknown_source=127.0.0.9")
    assert len(only.context["cl"].result_list) == 3


def test_the_log_is_read_only(admin_client: Client) -> None:
    row = trap(source_address="127.0.0.9")
    assert admin_client.get("/admin/monitoring/trap/add/").status_code == 403
    detail = admin_client.get(f"/admin/monitoring/trap/{row.pk}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert admin_client.post(f"/admin/monitoring/trap/{row.pk}/delete/").status_code == 403
