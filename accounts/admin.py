"""Admin: the audit log (read-only, searchable, administrators only), users with their role
and scope, login failures."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from accounts import roles
from accounts.models import AuditEntry, LoginFailure, UserScope


class AdministratorsOnly:
    """Read-only, and only for administrators, whatever permissions a group was given."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return roles.can_view_audit(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.can_view_audit(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(AdministratorsOnly, admin.ModelAdmin):
    list_display = (
        "at",
        "actor_name",
        "source",
        "action",
        "object_type",
        "object_repr",
        "changed_fields",
    )
    list_filter = ("action", "source", "object_type")
    search_fields = ("actor_name", "object_repr", "object_id", "message", "=ip")
    date_hierarchy = "at"
    readonly_fields = (
        "at",
        "actor_name",
        "actor",
        "source",
        "ip",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "changes_table",
        "message",
    )
    exclude = ("changes",)
    actions = None
    show_full_result_count = False

    @admin.display(description="fields")
    def changed_fields(self, obj: AuditEntry) -> str:
        return ", ".join(obj.changes) if isinstance(obj.changes, dict) else ""

    @admin.display(description="before → after")
    def changes_table(self, obj: AuditEntry) -> str:
        if not obj.changes:
            return "—"
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            (
                (
                    name,
                    json.dumps(pair[0], ensure_ascii=False),
                    json.dumps(pair[1], ensure_ascii=False),
                )
                for name, pair in obj.changes.items()
            ),
        )
        return format_html(
            "<table><thead><tr><th>field</th><th>before</th><th>after</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )


@admin.register(LoginFailure)
class LoginFailureAdmin(AdministratorsOnly, admin.ModelAdmin):
    list_display = ("at", "username", "ip")
    search_fields = ("username", "=ip")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a user's failures is how an administrator lifts a lockout early.
        return roles.can_manage_users(request.user)


class UserScopeInline(admin.StackedInline):
    model = UserScope
    can_delete = True
    extra = 0
    max_num = 1
    filter_horizontal = ("regions", "sites")
    verbose_name_plural = "Restriction to regions and sites (operators and viewers only)"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AccountUserAdmin(UserAdmin):
    inlines = (UserScopeInline,)
    list_display = ("username", "email", "role", "is_active", "last_login")
    list_filter = ("is_active", "is_superuser", "groups")

    @admin.display(description="role")
    def role(self, obj: Any) -> str:
        role = roles.role_of(obj)
        return role.label if role is not None else "— (inactive)"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return roles.can_manage_users(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.can_manage_users(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return roles.can_manage_users(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.can_manage_users(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return roles.can_manage_users(request.user)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Groups are saved after the user: the admin flag follows the role only now.
        roles.sync_staff_flag(form.instance)
