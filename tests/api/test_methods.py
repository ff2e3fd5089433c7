"""The API and /metrics are read-only: GET and HEAD answer, every other method is 405,
whoever asks (a token of an administrator included) and however (token or session)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from accounts.roles import Role
from api import urls as api_urls
from api.models import ApiToken
from tests.factories import UpsFactory
from tests.security.conftest import make_user

WRITES = ("post", "put", "patch", "delete", "options")


def _urls(pk: int) -> list[str]:
    names = [p.name for p in api_urls.urlpatterns if isinstance(p, URLPattern)]
    urls = [
        reverse(f"api:{name}", args=[pk] if "<int:pk>" in str(p.pattern) else [])
        for name, p in zip(names, api_urls.urlpatterns, strict=True)
    ]
    return [*urls, reverse("metrics")]


@pytest.fixture
def admin_token_client(db: None) -> Client:
    user = make_user(Role.ADMINISTRATOR, "api-boss")
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user, 'ci')[1]}")


@pytest.mark.django_db
def test_every_api_url_is_listed() -> None:
    # A new API route is picked up by _urls (from api.urls); /metrics is outside it.
    assert any(str(p.pattern) == "metrics" for p in get_resolver().url_patterns)
    assert len(_urls(1)) >= 7


@pytest.mark.django_db
def test_reads_answer_and_writes_are_405(admin_token_client: Client) -> None:
    ups = UpsFactory.create()
    for url in _urls(ups.pk):
        assert admin_token_client.get(url).status_code == 200, url
        assert admin_token_client.head(url).status_code in (200, 405 if "openapi" in url else 200)
        for method in WRITES:
            response = getattr(admin_token_client, method)(url)
            assert response.status_code == 405, (method, url, response.status_code)
            assert "GET" in response.get("Allow", "GET"), (method, url)


@pytest.mark.django_db
def test_writes_are_405_with_a_session_too() -> None:
    ups = UpsFactory.create()
    client = Client(enforce_csrf_checks=False)
    client.force_login(make_user(Role.ADMINISTRATOR, "session-boss"))
    for url in (f"/api/v1/ups/{ups.pk}", "/metrics", f"/ups/{ups.pk}/"):
        for method in WRITES:
            assert getattr(client, method)(url).status_code == 405, (method, url)
