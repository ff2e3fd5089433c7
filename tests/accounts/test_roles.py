"""Roles, groups and scope (accounts.roles)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from accounts import roles
from accounts.models import UserScope
from accounts.roles import Role
from tests.factories import AdminFactory, RegionFactory, SiteFactory, UpsFactory, UserFactory

pytestmark = pytest.mark.django_db


def _user(role: Role | None, **kwargs: object):  # type: ignore[no-untyped-def]
    user = UserFactory.create(**kwargs)
    roles.assign_role(user, role)
    return user


def test_groups_exist_with_their_permissions() -> None:
    admin = set(
        Group.objects.get(name="Administrators").permissions.values_list("codename", flat=True)
    )
    operator = set(
        Group.objects.get(name="Operators").permissions.values_list("codename", flat=True)
    )
    viewer = set(Group.objects.get(name="Viewers").permissions.values_list("codename", flat=True))
    assert {"add_ups", "change_ups", "delete_ups", "change_user", "acknowledge_alarm"} <= admin
    assert "acknowledge_alarm" in operator
    assert "acknowledge_alarm" not in viewer
    assert not {p for p in operator | viewer if not p.startswith("view_")} - {"acknowledge_alarm"}
    assert "view_auditentry" not in operator | viewer
    assert "change_auditentry" not in admin
    assert "delete_auditentry" not in admin


@pytest.mark.parametrize(
    ("role", "view", "ack", "inventory"),
    [
        (Role.ADMINISTRATOR, True, True, True),
        (Role.OPERATOR, True, True, False),
        (Role.VIEWER, True, False, False),
        (None, True, False, False),  # no group: a viewer
    ],
)
def test_predicates(role: Role | None, view: bool, ack: bool, inventory: bool) -> None:
    user = _user(role)
    assert roles.can_view(user) is view
    assert roles.can_acknowledge(user) is ack
    assert roles.can_manage_inventory(user) is inventory
    assert roles.can_manage_licence(user) is inventory
    assert roles.can_view_audit(user) is inventory
    assert user.is_staff is inventory  # the Django admin follows the role


def test_anonymous_and_inactive_may_do_nothing() -> None:
    inactive = _user(Role.ADMINISTRATOR, is_active=False)
    for user in (AnonymousUser(), inactive, None):
        assert roles.role_of(user) is None
        assert not roles.can_view(user)
        assert not roles.can_acknowledge(user)
        assert not roles.can_manage_inventory(user)
        assert not roles.visible_upses(user).exists() or user is None


def test_superuser_is_administrator_whatever_the_groups() -> None:
    assert roles.role_of(AdminFactory.create()) is Role.ADMINISTRATOR


def test_highest_role_wins() -> None:
    user = _user(Role.VIEWER)
    user.groups.add(Group.objects.get(name="Operators"))
    roles.forget_role(user)
    assert roles.role_of(user) is Role.OPERATOR


def test_scope_restricts_operators_and_viewers_not_administrators() -> None:
    north = RegionFactory.create(name="North")
    a = SiteFactory.create(region=north)
    b = SiteFactory.create()
    c = SiteFactory.create()
    ups_a, ups_b, ups_c = (UpsFactory.create(site=s) for s in (a, b, c))
    operator = _user(Role.OPERATOR)
    assert set(roles.visible_upses(operator)) == {ups_a, ups_b, ups_c}  # no scope: all
    scope = UserScope.objects.create(user=operator)
    assert not roles.is_restricted(operator)  # an empty scope is no restriction
    scope.regions.add(north)
    scope.sites.add(b)
    assert roles.is_restricted(operator)
    assert set(roles.visible_upses(operator)) == {ups_a, ups_b}
    assert set(roles.visible_sites(operator)) == {a, b}
    assert list(roles.visible_regions(operator)) == [north]
    assert roles.can_view_ups(operator, ups_a)
    assert not roles.can_view_ups(operator, ups_c.pk)
    # A site added to the region later is visible at once.
    d = SiteFactory.create(region=north)
    assert d in roles.visible_sites(operator)
    admin = _user(Role.ADMINISTRATOR)
    UserScope.objects.create(user=admin).sites.add(b)
    assert set(roles.visible_upses(admin)) == {ups_a, ups_b, ups_c}


def test_assign_role_keeps_other_groups() -> None:
    user = _user(Role.ADMINISTRATOR)
    extra = Group.objects.create(name="Night shift")
    user.groups.add(extra)
    roles.assign_role(user, Role.VIEWER)
    assert set(user.groups.values_list("name", flat=True)) == {"Viewers", "Night shift"}
    assert not user.is_staff
