"""Token authentication: none, bad, revoked, good; session; read-only; token command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from api.models import ApiToken, hash_token

URLS = ["/api/v1/fleet", "/api/v1/alarms", "/metrics"]


@pytest.mark.parametrize("url", URLS)
def test_no_token_is_401(db: None, url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "error" in response.json()


@pytest.mark.parametrize(
    "header", ["Bearer unms_wrong", "Bearer ", "Basic dXNlcjpwYXNz", "Token nope"]
)
def test_bad_token_is_401(token: str, header: str) -> None:
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/fleet")
    assert response.status_code == 401


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_good_token(token: str, scheme: str) -> None:
    assert Client(HTTP_AUTHORIZATION=f"{scheme} {token}").get("/api/v1/fleet").status_code == 200


def test_inactive_user_token_is_refused(api: Client, token_user: User) -> None:
    token_user.is_active = False
    token_user.save()
    assert api.get("/api/v1/fleet").status_code == 401


def test_deleted_token_is_refused(api: Client) -> None:
    ApiToken.objects.all().delete()
    assert api.get("/api/v1/fleet").status_code == 401


def test_logged_in_session_is_enough(operator_client: Client) -> None:
    # The UPS page's charts read the same endpoint with the browser session.
    assert operator_client.get("/api/v1/fleet").status_code == 200


def test_read_only(api: Client) -> None:
    assert api.post("/api/v1/fleet").status_code == 405


def test_only_the_hash_is_stored_and_use_is_recorded(api: Client, token: str) -> None:
    row = ApiToken.objects.get()
    assert row.key_hash == hash_token(token)
    assert token not in (row.key_hash, row.key_prefix)
    assert token.startswith(row.key_prefix)
    assert row.last_used_at is None
    api.get("/api/v1/fleet")
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None
    api.get("/api/v1/fleet")  # within TOKEN_TOUCH_S: no second write
    row.refresh_from_db()
    assert row.last_used_at == first
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(hours=1))
    api.get("/api/v1/fleet")
    row.refresh_from_db()
    assert row.last_used_at > first - timedelta(hours=1)


def test_create_api_token_command(operator: User) -> None:
    out = StringIO()
    call_command("create_api_token", "operator", "--name", "prometheus", stdout=out)
    token = out.getvalue().strip()
    row = ApiToken.objects.get(user=operator)
    assert row.name == "prometheus"
    assert row.key_hash == hash_token(token)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/fleet").status_code == 200


def test_create_api_token_unknown_user(db: None) -> None:
    with pytest.raises(CommandError, match="no user"):
        call_command("create_api_token", "nobody")


def test_admin_creates_a_token_and_shows_it_once(db: None) -> None:
    from tests.factories import AdminFactory

    admin = AdminFactory.create()
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/api/apitoken/add/", {"user": admin.pk, "name": "grafana"}, follow=True
    )
    assert response.status_code == 200
    row = ApiToken.objects.get(name="grafana")
    shown = [str(m) for m in response.context["messages"]]
    assert any(row.key_prefix in m for m in shown)
