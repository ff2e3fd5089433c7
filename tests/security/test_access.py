"""Every URL, reached as an anonymous user, a viewer and an operator: what each may not do.

The URLs come from the resolver, so a page added later is covered at once: it gets the
default requirement (GET: any logged-in user; POST: administrator) until it is listed in
REQUIREMENTS with the role it really needs — and the test fails if the page is more open
than its requirement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.roles import Role
from tests.alarms.factories import OpenAlarmFactory
from tests.factories import UpsFactory
from tests.security.conftest import client_for, make_user

ANON = None
_LEVEL = {ANON: 0, Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMINISTRATOR: 3}

PUBLIC: Role | None = ANON
# (GET, POST) minimum role per URL name; names from the resolver ("app:name"). Anything
# not listed: GET needs a login, POST needs an administrator.
REQUIREMENTS: dict[str, tuple[Role | None, Role | None]] = {
    "login": (PUBLIC, PUBLIC),
    "logout": (PUBLIC, PUBLIC),
    # The API's schema describes no data; public like any OpenAPI document.
    "api:openapi": (PUBLIC, Role.ADMINISTRATOR),
    # Read-only pages: GET for viewers, any other method 405 for everyone (default POST
    # requirement: the test sees non-administrators refused).
    "metrics": (Role.VIEWER, Role.ADMINISTRATOR),
    "ups-detail": (Role.VIEWER, Role.ADMINISTRATOR),
    # Operators' actions.
    "alarms:acknowledge": (Role.OPERATOR, Role.OPERATOR),
    "alarms:comment": (Role.OPERATOR, Role.OPERATOR),
    # Each user's own console preferences.
    "preferences": (Role.VIEWER, Role.VIEWER),
    "console-messages": (Role.VIEWER, Role.VIEWER),
    # Administrators' pages outside the Django admin.
    "licensing:page": (Role.ADMINISTRATOR, Role.ADMINISTRATOR),
    "notifications:resend": (Role.OPERATOR, Role.OPERATOR),
    "notifications:test": (Role.ADMINISTRATOR, Role.ADMINISTRATOR),
    "site-map-upload": (Role.ADMINISTRATOR, Role.ADMINISTRATOR),
    "site-map-position": (Role.ADMINISTRATOR, Role.ADMINISTRATOR),
}
#: /metrics answers scrapers with a token (api.auth); anonymous gets 401 like the API.
#: The Django admin as a whole is for administrators (both methods), whatever the page.
ADMIN_PREFIX = "admin/"
ADMIN_PUBLIC = {"admin/login/", "admin/logout/"}


def _concrete(route: str, ids: dict[str, int]) -> str:
    def fill(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return str(ids.get(name, ids["pk"]))
        return str(ids.get(name, ids["pk"]))

    return re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        route = str(p.pattern)
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + route, ns)
        elif isinstance(p, URLPattern):
            if route.startswith("^") or "(?P" in route:
                continue  # regex routes (static serving): not pages
            yield prefix + route, f"{namespace}{p.name}" if p.name else ""


def _required(route: str, name: str, method: str) -> Role | None:
    if route.startswith(ADMIN_PREFIX):
        return ANON if route in ADMIN_PUBLIC else Role.ADMINISTRATOR
    get, post = REQUIREMENTS.get(name, (Role.VIEWER, Role.ADMINISTRATOR))
    return get if method == "get" else post


def _denied(response: Any) -> bool:
    if response.status_code in (401, 403, 405):
        return True
    if response.status_code in (301, 302):
        return "login" in response.get("Location", "")
    return False


def _cases() -> list[tuple[str, str]]:
    return sorted(set(_walk(get_resolver().url_patterns)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", [ANON, Role.VIEWER, Role.OPERATOR], ids=["anonymous", "viewer", "operator"]
)
def test_nobody_reaches_more_than_their_role(who: Role | None) -> None:
    ups = UpsFactory.create()
    alarm = OpenAlarmFactory.create(ups=ups)
    ids = {"pk": ups.pk, "ups_id": ups.pk, "object_id": ups.pk, "id": ups.pk}
    user = make_user(who, f"u-{who}") if who is not None else None
    client: Client = client_for(user)
    leaks: list[str] = []
    checked = 0
    for route, name in _cases():
        url = "/" + _concrete(
            route, {**ids, "pk": alarm.pk if name.startswith("alarms:") else ups.pk}
        )
        for method in ("get", "post"):
            required = _required(route, name, method)
            if _LEVEL[who] >= _LEVEL[required]:
                continue
            response = getattr(client, method)(url)
            checked += 1
            if not _denied(response):
                leaks.append(f"{method.upper()} {url} ({name or route}) -> {response.status_code}")
    assert checked > 50  # the walk found the admin and the pages
    assert leaks == []


@pytest.mark.django_db
def test_every_admin_model_page_is_refused_to_non_administrators() -> None:
    from django.contrib import admin

    ups = UpsFactory.create()
    for role in (Role.VIEWER, Role.OPERATOR):
        client = client_for(make_user(role, f"adm-{role}"))
        for model in admin.site._registry:
            base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            for url in (base, base + "add/", f"{base}{ups.pk}/change/", f"{base}{ups.pk}/delete/"):
                assert _denied(client.get(url)), url
                assert _denied(client.post(url, {"name": "x"})), url


@pytest.mark.django_db
def test_operator_acknowledges_viewer_may_not(viewer: Any, operator_user: Any) -> None:
    alarm = OpenAlarmFactory.create()
    refused = client_for(viewer).post("/alarms/acknowledge/", {"alarm": alarm.pk})
    assert refused.status_code == 403
    accepted = client_for(operator_user).post("/alarms/acknowledge/", {"alarm": alarm.pk})
    assert accepted.status_code == 302
    alarm.refresh_from_db()
    assert alarm.acknowledged_by_id == operator_user.pk


@pytest.mark.django_db
def test_api_refuses_anonymous_callers() -> None:
    ups = UpsFactory.create()
    client = Client()
    for url in ("/api/v1/fleet", f"/api/v1/ups/{ups.pk}", "/api/v1/alarms", "/metrics"):
        assert client.get(url).status_code == 401, url


@pytest.mark.django_db
def test_api_is_read_only_for_everyone(administrator: Any) -> None:
    ups = UpsFactory.create()
    client = client_for(administrator)
    for url in ("/api/v1/fleet", f"/api/v1/ups/{ups.pk}"):
        for method in ("post", "put", "patch", "delete"):
            assert getattr(client, method)(url).status_code in (401, 403, 405), (method, url)
