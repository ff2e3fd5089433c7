"""SNMP communities: encrypted at rest, never sent to the browser, the API or the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client

from monitoring.fields import SecretDecryptionError, decrypt, encrypt
from monitoring.models import Ups
from tests.factories import AdminFactory, UpsFactory

pytestmark = pytest.mark.django_db
SECRET = "Zebra-community-42"


def test_stored_encrypted_read_plain() -> None:
    ups = UpsFactory.create(community=SECRET, trap_community="")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT community, trap_community FROM monitoring_ups WHERE id = %s", [ups.pk]
        )
        stored, trap = cursor.fetchone()
    assert stored.startswith("enc1:")
    assert SECRET not in stored
    assert trap == ""
    assert Ups.objects.get(pk=ups.pk).community == SECRET
    assert list(Ups.objects.filter(pk=ups.pk).values_list("community", flat=True)) == [SECRET]


def test_same_secret_encrypts_differently() -> None:
    assert encrypt(SECRET) != encrypt(SECRET)


def test_key_rotation_and_wrong_key(settings: Any) -> None:
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRET_ENCRYPTION_KEYS = [old]
    token = encrypt(SECRET)
    settings.SECRET_ENCRYPTION_KEYS = [new, old]
    assert decrypt(token) == SECRET
    settings.SECRET_ENCRYPTION_KEYS = [new]
    with pytest.raises(SecretDecryptionError) as info:
        decrypt(token)
    assert SECRET not in str(info.value)


def test_legacy_plain_text_rows_still_read() -> None:
    assert decrypt("public") == "public"


def test_never_in_admin_pages_or_api() -> None:
    ups = UpsFactory.create(community=SECRET)
    client = Client()
    client.force_login(AdminFactory.create())
    for url in (
        "/admin/monitoring/ups/",
        f"/admin/monitoring/ups/{ups.pk}/change/",
        f"/admin/monitoring/ups/{ups.pk}/history/",
        f"/ups/{ups.pk}/",
        "/api/v1/fleet",
        f"/api/v1/ups/{ups.pk}",
        "/metrics",
        "/admin/accounts/auditentry/",
    ):
        response = client.get(url)
        assert SECRET not in response.content.decode(errors="ignore"), url


def test_no_default_community() -> None:
    # A new UPS has no community until someone types one: "public" would be a default
    # credential.
    assert not Ups._meta.get_field("community").has_default()
