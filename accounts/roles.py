"""Roles and scope: who may do what, and which UPSs they see.

Three roles, stored as Django groups (so the admin's own permission checks follow them):

- **administrator**: inventory, users, rules, licence, audit log; the Django admin.
- **operator**: everything a viewer does, plus acknowledge and comment alarms (and, once
  remote control exists, start a UPS self-test).
- **viewer**: read-only.

A superuser is an administrator. An active, logged-in user in none of the groups is a
viewer: the console was readable by every account before roles existed, and we keep it so.

Scope: operators and viewers may be restricted to regions and/or sites
(`accounts.UserScope`); they then see only those sites' UPSs, alarms, trends. An
administrator always sees the whole estate: they manage the inventory.

Other apps call the predicates and `restrict()` here rather than testing groups or flags
themselves, so the rules stay in one file.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet

if TYPE_CHECKING:
    from monitoring.models import Region, Site, Ups

_M = TypeVar("_M", bound=models.Model)


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    OPERATOR = "operator", "Operator"
    VIEWER = "viewer", "Viewer"

    @property
    def group_name(self) -> str:
        return GROUP_NAMES[self]


#: The Django group holding each role. Managed by the code (sync_role_groups): edits to
#: these groups' permissions in the admin are reset at the next migrate.
GROUP_NAMES: dict[Role, str] = {
    Role.ADMINISTRATOR: "Administrators",
    Role.OPERATOR: "Operators",
    Role.VIEWER: "Viewers",
}
_RANK = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMINISTRATOR: 3}
_BY_GROUP = {name: role for role, name in GROUP_NAMES.items()}

#: Apps whose permissions are not the project's to hand out by role.
_FRAMEWORK_APPS = frozenset({"admin", "contenttypes", "sessions", "staticfiles", "messages"})
#: Permissions only administrators get, even "view_*" ones.
_ADMIN_ONLY_APPS = frozenset({"auth", "accounts", "licensing"})
#: Never granted through a role: the audit log is append-only and permissions are code.
_NEVER = frozenset(
    {
        ("accounts", "add_auditentry"),
        ("accounts", "change_auditentry"),
        ("accounts", "delete_auditentry"),
        ("auth", "add_permission"),
        ("auth", "change_permission"),
        ("auth", "delete_permission"),
    }
)
#: Permissions (app_label.codename) operators have beyond viewing. Apps that add operator
#: actions (a UPS self-test, notification silencing) append theirs here.
OPERATOR_PERMISSIONS: list[str] = [
    "alarms.acknowledge_alarm",
    "monitoring.control_ups",  # start a self-test; the permission appears with remote control
]

_CACHE_ATTR = "_unms_role"


def role_of(user: Any) -> Role | None:
    """The user's role; None for anonymous and inactive users (they may do nothing)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not user.is_active:
        return None
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return Role(cached)
    if user.is_superuser:
        role = Role.ADMINISTRATOR
    else:
        names = set(user.groups.values_list("name", flat=True))
        roles = [_BY_GROUP[n] for n in names if n in _BY_GROUP] or [Role.VIEWER]
        role = max(roles, key=_RANK.__getitem__)
    # One groups query per request object, not one per predicate call.
    setattr(user, _CACHE_ATTR, role.value)
    return role


def forget_role(user: Any) -> None:
    """Drop the cached role after changing a user's groups."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_role(user: Any, at_least: Role) -> bool:
    role = role_of(user)
    return role is not None and _RANK[role] >= _RANK[at_least]


# --- Predicates: what other apps call ---------------------------------------------------


def can_view(user: Any) -> bool:
    """May see the console (fleet, UPS pages, alarms, trends, live updates)."""
    return role_of(user) is not None


def can_acknowledge(user: Any) -> bool:
    """May acknowledge and comment alarms."""
    if has_role(user, Role.OPERATOR):
        return True
    return can_view(user) and bool(user.has_perm("alarms.acknowledge_alarm"))


def can_control_ups(user: Any) -> bool:
    """May start a UPS self-test (remote control, when it exists)."""
    return has_role(user, Role.OPERATOR)


def can_manage_inventory(user: Any) -> bool:
    """May add, change, enable or delete regions, sites, UPSs (and import them)."""
    return has_role(user, Role.ADMINISTRATOR)


def can_manage_users(user: Any) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


def can_manage_rules(user: Any) -> bool:
    """May change alarm and notification rules, profiles and other settings pages."""
    return has_role(user, Role.ADMINISTRATOR)


def can_manage_licence(user: Any) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


def can_view_audit(user: Any) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


# --- Scope: which sites and UPSs a user sees -------------------------------------------


def is_restricted(user: Any) -> bool:
    """True when the user sees only some sites (an operator or viewer with a scope)."""
    role = role_of(user)
    if role is None:
        return True
    if role is Role.ADMINISTRATOR:
        return False
    scope = _scope(user)
    return scope is not None and scope.is_limited


def _scope(user: Any) -> Any:
    from accounts.models import UserScope

    try:
        return user.scope
    except UserScope.DoesNotExist:
        return None


def _site_q(user: Any, prefix: str) -> Q | None:
    """Q over `prefix` (a path to a Site) for the user's scope; None: everything.

    `Q(pk__in=[])` for users who may see nothing.
    """
    path = f"{prefix}__" if prefix else ""
    role = role_of(user)
    if role is None:
        return Q(**{f"{path}pk__in": []})
    if role is Role.ADMINISTRATOR:
        return None
    scope = _scope(user)
    if scope is None or not scope.is_limited:
        return None
    region_ids = list(scope.regions.values_list("pk", flat=True))
    site_ids = list(scope.sites.values_list("pk", flat=True))
    return Q(**{f"{path}region_id__in": region_ids}) | Q(**{f"{path}pk__in": site_ids})


def restrict(user: Any, queryset: QuerySet[_M], site_path: str) -> QuerySet[_M]:
    """`queryset` limited to rows the user may see; `site_path` leads from the model to
    its Site: "site" for Ups, "ups__site" for Alarm or Measurement, "" for Site itself.
    """
    q = _site_q(user, site_path)
    return queryset if q is None else queryset.filter(q)


def visible_sites(user: Any) -> QuerySet[Site]:
    from monitoring.models import Site

    return restrict(user, Site.objects.all(), "")


def visible_regions(user: Any) -> QuerySet[Region]:
    """Regions with at least one visible site (all regions when unrestricted)."""
    from monitoring.models import Region

    q = _site_q(user, "sites")
    regions = Region.objects.all()
    return regions if q is None else regions.filter(q).distinct()


def visible_upses(user: Any) -> QuerySet[Ups]:
    from monitoring.models import Ups

    return restrict(user, Ups.objects.all(), "site")


def visible_ups_ids(user: Any) -> list[int] | None:
    """Ids of the UPSs the user sees; None: every UPS (no restriction).

    For filters on big tables (alarms, measurements): `ups_id IN (...)` uses their
    indexes, where `restrict(..., "ups__site")` would join through UPS and site.
    """
    if not is_restricted(user):
        return None
    return list(visible_upses(user).values_list("pk", flat=True))


def restrict_by_ups(user: Any, queryset: QuerySet[_M], field: str = "ups_id") -> QuerySet[_M]:
    """`queryset` (rows with a UPS foreign key `field`) limited to the user's UPSs."""
    ids = visible_ups_ids(user)
    return queryset if ids is None else queryset.filter(**{f"{field}__in": ids})


def can_view_ups(user: Any, ups: Ups | int) -> bool:
    pk = ups if isinstance(ups, int) else ups.pk
    if not can_view(user):
        return False
    if not is_restricted(user):
        return True
    return visible_upses(user).filter(pk=pk).exists()


# --- Groups and permissions -------------------------------------------------------------


def assign_role(user: Any, role: Role | None) -> None:
    """Put the user in exactly one role group (None: no group, i.e. viewer by default).

    Administrators get `is_staff` (the Django admin requires it); others lose it, unless
    they are superusers (who are administrators whatever their groups).
    """
    from django.contrib.auth.models import Group

    keep = user.groups.exclude(name__in=GROUP_NAMES.values())
    groups = list(keep)
    if role is not None:
        group, _ = Group.objects.get_or_create(name=role.group_name)
        groups.append(group)
    user.groups.set(groups)
    staff = user.is_superuser or role is Role.ADMINISTRATOR
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
    forget_role(user)


def sync_staff_flag(user: Any) -> None:
    """After the groups changed elsewhere (the user admin): staff iff administrator."""
    forget_role(user)
    staff = user.is_superuser or role_of(user) is Role.ADMINISTRATOR
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])


def role_permissions(permissions: Iterable[tuple[str, str]]) -> dict[Role, set[tuple[str, str]]]:
    """Which of (app_label, codename) each role's group holds. Pure, for tests and sync."""
    result: dict[Role, set[tuple[str, str]]] = {role: set() for role in Role}
    operator_extra = {tuple(p.split(".", 1)) for p in OPERATOR_PERMISSIONS}
    for app_label, codename in permissions:
        if app_label in _FRAMEWORK_APPS or (app_label, codename) in _NEVER:
            continue
        result[Role.ADMINISTRATOR].add((app_label, codename))
        if app_label in _ADMIN_ONLY_APPS:
            continue
        if codename.startswith("view_"):
            result[Role.VIEWER].add((app_label, codename))
            result[Role.OPERATOR].add((app_label, codename))
        if (app_label, codename) in operator_extra:
            result[Role.OPERATOR].add((app_label, codename))
    # The admin's history of an object is LogEntry's view permission.
    result[Role.ADMINISTRATOR].add(("admin", "view_logentry"))
    return result


def sync_role_groups(apps: Any = None) -> None:
    """Create the three groups and give each exactly its permissions. Idempotent."""
    from django.apps import apps as global_apps

    registry = apps or global_apps
    group_model = registry.get_model("auth", "Group")
    permission_model = registry.get_model("auth", "Permission")
    rows = list(permission_model.objects.values_list("pk", "content_type__app_label", "codename"))
    by_key = {(app, code): pk for pk, app, code in rows}
    wanted = role_permissions(by_key)
    for role, keys in wanted.items():
        group, _ = group_model.objects.get_or_create(name=GROUP_NAMES[role])
        group.permissions.set([by_key[k] for k in keys if k in by_key])


def sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    # post_migrate fires once per app, after auth created that app's permissions: running
    # each time is cheap (three groups) and leaves no app's permissions out.
    sync_role_groups()
