"""Webhook secrets: encrypted at rest (the migration encrypts rows stored in plain text),
write-only in the admin (never rendered back, empty keeps, 'clear' removes), masked in the
audit log and absent from the notification log."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from notifications.choices import ChannelKind
from notifications.models import Channel
from tests.factories import AdminFactory
from tests.notifications.factories import ChannelFactory

SECRET = "Webhook-Zebra-secret-77"


def _stored(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM notifications_channel WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def _admin() -> Client:
    client = Client()
    client.force_login(AdminFactory.create())
    return client


def _form(channel: Channel, **changes: Any) -> dict[str, Any]:
    data = {
        "name": channel.name,
        "kind": channel.kind,
        "enabled": "on",
        "url": channel.url,
        "secret": "",
        "program_path": "",
        "program_args": "[]",
        "timeout_s": channel.timeout_s,
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_stored_encrypted_read_plain_and_signed_with_the_plain_secret() -> None:
    channel = ChannelFactory.create(
        kind=ChannelKind.WEBHOOK, url="https://hooks.test/x", secret=SECRET
    )
    stored = _stored(channel.pk)
    assert stored.startswith("enc1:")
    assert SECRET not in stored
    assert Channel.objects.get(pk=channel.pk).secret == SECRET
    assert _stored(ChannelFactory.create(name="unsigned", secret="").pk) == ""


@pytest.mark.django_db
def test_the_admin_never_renders_the_secret_and_empty_keeps_it() -> None:
    channel = ChannelFactory.create(
        kind=ChannelKind.WEBHOOK, url="https://hooks.test/x", secret=SECRET
    )
    client = _admin()
    url = f"/admin/notifications/channel/{channel.pk}/change/"
    for page in (url, "/admin/notifications/channel/", f"{url}../history/", "/notifications/"):
        html = client.get(page).content.decode()
        assert SECRET not in html, page
    assert "A secret is stored" in client.get(url).content.decode()

    # Saved without typing a secret: the stored one stays.
    response = client.post(url, _form(channel, name="renamed"))
    assert response.status_code == 302, response.content.decode()[:2000]
    channel.refresh_from_db()
    assert (channel.name, channel.secret) == ("renamed", SECRET)

    # A typed secret replaces it; 'clear' removes it; both at once is an error.
    client.post(url, _form(channel, secret="new-one"))
    channel.refresh_from_db()
    assert channel.secret == "new-one"
    both = client.post(url, _form(channel, secret="x", clear_secret="on"))
    assert both.status_code == 200
    assert Channel.objects.get(pk=channel.pk).secret != "x"
    client.post(url, _form(channel, clear_secret="on"))
    channel.refresh_from_db()
    assert channel.secret == ""

    # Nor in the audit log of those changes.
    audit = client.get("/admin/accounts/auditentry/").content.decode()
    assert SECRET not in audit
    assert "new-one" not in audit


@pytest.mark.django_db
def test_the_add_page_has_a_write_only_secret_and_nothing_to_clear() -> None:
    html = _admin().get("/admin/notifications/channel/add/").content.decode()
    assert 'name="secret"' in html
    assert 'type="password"' in html
    assert "clear_secret" not in html


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_rows_stored_in_plain_text() -> None:
    executor = MigrationExecutor(connection)
    before = [("notifications", "0001_initial")]
    after = [("notifications", "0002_encrypt_webhook_secrets")]
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("notifications", "Channel")
        row = old.objects.create(
            name="legacy", kind="webhook", url="https://h.test/", secret=SECRET
        )
        assert _stored(row.pk) == SECRET

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
        assert _stored(row.pk).startswith("enc1:")
        assert Channel.objects.get(pk=row.pk).secret == SECRET

        # Backwards: plain again, fitting the old column.
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(before)
        assert _stored(row.pk) == SECRET
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
