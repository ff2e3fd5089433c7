"""The audit log: admin changes with before/after, secrets masked, roles, append-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.test import Client

from accounts.models import AuditAction, AuditEntry
from tests.factories import AdminFactory, SiteFactory, UpsFactory, UserFactory
from tests.security.conftest import management_forms

pytestmark = pytest.mark.django_db


def _admin_client() -> tuple[Client, Any]:
    admin = AdminFactory.create(username="chief")
    client = Client()
    client.force_login(admin)
    return client, admin


def _ups_form(ups: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "name": ups.name,
        "site": ups.site_id,
        "enabled": "on",
        "host": ups.host,
        "port": ups.port,
        "snmp_version": "2c",
        "community": "",
        "poll_interval_s": 30,
        "profile": "",
        "profile_overrides": "{}",
        "threshold_overrides": "{}",
    }
    data.update(changes)
    return data


def test_admin_change_is_recorded_with_before_and_after_and_masked_secrets() -> None:
    client, admin = _admin_client()
    ups = UpsFactory.create(community="old-secret-community")
    url = f"/admin/monitoring/ups/{ups.pk}/change/"
    response = client.post(
        url,
        {
            **management_forms(client, url),
            **_ups_form(ups, poll_interval_s=60, community="new-secret-community"),
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="monitoring.ups")
    assert entry.actor_id == admin.pk
    assert entry.actor_name == "chief"
    assert entry.source == "admin"
    assert entry.changes["poll_interval_s"] == [30, 60]
    assert entry.changes["community"] == ["***", "***"]
    everything = str(list(AuditEntry.objects.values()))
    assert "secret-community" not in everything


def test_create_and_delete_are_recorded() -> None:
    client, _ = _admin_client()
    client.post("/admin/monitoring/site/add/", {"name": "Lyon", "description": ""})
    site = SiteFactory._meta.model.objects.get(name="Lyon")
    client.post(f"/admin/monitoring/site/{site.pk}/delete/", {"post": "yes"})
    actions = list(
        AuditEntry.objects.filter(object_type="monitoring.site")
        .order_by("id")
        .values_list("action", "object_repr")
    )
    assert actions == [("create", "Lyon"), ("delete", "Lyon")]


def test_role_changes_are_recorded() -> None:
    client, _ = _admin_client()
    user = UserFactory.create(username="newbie")
    operators = Group.objects.get(name="Operators")
    response = client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": "newbie",
            "email": "",
            "is_active": "on",
            "groups": [operators.pk],
            "date_joined_0": "2025-01-01",
            "date_joined_1": "00:00:00",
            "scope-TOTAL_FORMS": "0",
            "scope-INITIAL_FORMS": "0",
            "scope-MIN_NUM_FORMS": "0",
            "scope-MAX_NUM_FORMS": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action=AuditAction.ROLE)
    assert entry.changes["groups"] == [[], ["Operators"]]
    assert entry.object_repr == "newbie"


def test_system_writes_are_not_recorded() -> None:
    UpsFactory.create()  # no person acting: the poller, a migration, a fixture
    assert not AuditEntry.objects.exists()


def test_append_only() -> None:
    from accounts.audit import record

    entry = record(AuditAction.OTHER, message="x")
    entry.message = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(message="rewritten")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).delete()


def test_audit_page_is_for_administrators_and_searchable() -> None:
    from accounts.audit import record

    record(AuditAction.OTHER, message="needle in the log")
    client, _ = _admin_client()
    page = client.get("/admin/accounts/auditentry/?q=needle")
    assert page.status_code == 200
    assert "needle" not in client.get("/admin/accounts/auditentry/?q=hay").content.decode()
    viewer = Client()
    viewer.force_login(UserFactory.create(is_staff=True))  # staff but not administrator
    assert viewer.get("/admin/accounts/auditentry/").status_code == 403
