from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications import sender, tasks
from notifications.choices import ChannelKind
from notifications.models import (
    Channel,
    MaintenanceWindow,
    Notification,
    Recipient,
    Rule,
    RuleStep,
    RuleTarget,
)


class ChannelForm(forms.ModelForm):
    url = forms.URLField(label="Webhook URL", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Channel
        fields = [
            "name",
            "kind",
            "enabled",
            "url",
            "secret",
            "program_path",
            "program_args",
            "timeout_s",
            "sound",
        ]
        widgets = {"secret": forms.PasswordInput(render_value=True)}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        # Programs run code on the server: superusers only (docs/notifications.md).
        if kind == ChannelKind.PROGRAM and not getattr(self.user, "is_superuser", False):
            raise forms.ValidationError("Only superusers may configure programs.")
        return kind


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "kind", "enabled", "url", "program_path", "timeout_s")
    list_filter = ("kind", "enabled")

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        base = super().get_form(request, obj, change, **kwargs)

        class WithUser(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, user=request.user, **kw)

        return WithUser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.kind == ChannelKind.PROGRAM and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "address", "enabled", "digest_window_s")
    list_filter = ("enabled",)
    search_fields = ("name", "address", "user__username")
    raw_id_fields = ("user",)


class StepInline(admin.TabularInline):
    model = RuleStep
    extra = 1


class TargetInline(admin.TabularInline):
    model = RuleTarget
    extra = 1


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("name", "enabled", "min_severity", "kinds", "storm_control", "escalate_after_s")
    list_filter = ("enabled", "min_severity")
    filter_horizontal = ("regions", "sites", "upses")
    inlines = [StepInline, TargetInline]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("__str__", "site", "ups", "starts_at", "ends_at", "created_by")
    raw_id_fields = ("ups",)
    date_hierarchy = "starts_at"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: rows change through the sender; resend is the one action."""

    list_display = ("created_at", "subject", "recipient", "channel", "state", "attempts", "sent_at")
    list_filter = ("state", "event", "channel", "digest")
    search_fields = ("subject", "key")
    list_select_related = ("recipient", "channel")
    show_full_result_count = False
    actions = ["resend"]
    exclude = ("claim",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Resend selected notifications")
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        n = sender.resend(ids)
        tasks.deliver_due.delay()
        self.message_user(request, f"{n} notification(s) queued again.", messages.SUCCESS)
