"""Users of each role, for the security tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts import roles
from accounts.roles import Role
from tests.factories import UserFactory


def make_user(role: Role | None, username: str) -> Any:
    user = UserFactory.create(username=username)
    roles.assign_role(user, role)
    return user


@pytest.fixture
def viewer(db: None) -> Any:
    return make_user(Role.VIEWER, "viewer")


@pytest.fixture
def operator_user(db: None) -> Any:
    return make_user(Role.OPERATOR, "op")


@pytest.fixture
def administrator(db: None) -> Any:
    return make_user(Role.ADMINISTRATOR, "boss")


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def management_forms(client: Client, url: str) -> dict[str, str]:
    """The inline formsets' management fields of an admin form page, as the browser sends
    them (other apps add inlines to the UPS admin; tests posting the form need them)."""
    import re

    html = client.get(url).content.decode()
    fields = re.findall(
        r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d*)"', html
    )
    return {name: value for name, value in fields}
