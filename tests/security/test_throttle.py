"""Login throttling and lockout, on the console's login and the admin's."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import AuditAction, AuditEntry, LoginFailure
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _policy(settings: Any) -> None:
    settings.UNMS = {
        **settings.UNMS,
        "LOGIN_THROTTLE": {"PER_USER": 3, "PER_IP": 10, "WINDOW_S": 900},
    }


def _login(client: Client, username: str, password: str, url: str = "/login/") -> Any:
    return client.post(url, {"username": username, "password": password})


def test_locked_after_too_many_failures_even_with_the_right_password() -> None:
    UserFactory.create(username="alice")
    client = Client()
    for _ in range(3):
        assert "Wrong user name or password" in _login(client, "alice", "nope").content.decode()
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 200  # the form again, not a redirect into the console
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action=AuditAction.LOCKOUT, object_repr="alice").count() == 1


def test_the_admin_login_is_throttled_too() -> None:
    UserFactory.create(username="root", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(3):
        _login(client, "root", "nope", "/admin/login/")
    assert (
        "Too many failed logins"
        in _login(client, "root", PASSWORD, "/admin/login/").content.decode()
    )


def test_unknown_names_lock_the_same_way() -> None:
    # Otherwise the lockout message would tell which user names exist.
    client = Client()
    for _ in range(3):
        _login(client, "nobody", "x")
    assert "Too many failed logins" in _login(client, "nobody", "x").content.decode()


def test_other_users_are_not_locked_and_success_resets() -> None:
    UserFactory.create(username="bob")
    UserFactory.create(username="carol")
    client = Client()
    for _ in range(2):
        _login(client, "bob", "nope")
    assert _login(client, "bob", PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="bob").exists()
    for _ in range(3):
        _login(Client(), "carol", "nope")
    assert _login(Client(), "bob", PASSWORD).status_code == 302


def test_per_address_limit(settings: Any) -> None:
    UserFactory.create(username="dave")
    client = Client()
    for n in range(10):
        _login(client, f"guess{n}", "x")  # a spray over many names from one address
    assert "Too many failed logins" in _login(client, "dave", PASSWORD).content.decode()
    # Another address is not affected.
    assert (
        Client(REMOTE_ADDR="127.100.0.7")
        .post("/login/", {"username": "dave", "password": PASSWORD})
        .status_code
        == 302
    )


def test_successful_login_is_audited() -> None:
    UserFactory.create(username="erin")
    _login(Client(), "erin", PASSWORD)
    entry = AuditEntry.objects.get(action=AuditAction.LOGIN)
    assert entry.actor_name == "erin"
    assert entry.ip == "127.0.0.1"
