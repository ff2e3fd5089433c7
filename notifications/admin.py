from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from monitoring.forms import SecretField
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
from unms.admin_base import ReadOnlyAdmin


class ChannelForm(forms.ModelForm):
    """The webhook secret is write-only (monitoring.forms.SecretField): never rendered
    back, empty keeps the stored one, 'clear' removes it."""

    url = forms.URLField(label="Webhook URL", required=False, max_length=500, assume_scheme="https")
    secret = SecretField(
        label="Webhook secret",
        required=False,
        max_length=200,
        help_text="Key of the HMAC-SHA256 signature header; empty: unsigned. "
        "Stored encrypted and never shown again.",
    )
    clear_secret = forms.BooleanField(
        label="Clear the webhook secret",
        required=False,
        help_text="Webhooks are then sent unsigned.",
    )

    class Meta:
        model = Channel
        fields = [
            "name",
            "kind",
            "enabled",
            "url",
            "secret",
            "clear_secret",
            "program_path",
            "program_args",
            "timeout_s",
            "sound",
        ]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.editing = self.instance.pk is not None
        # Captured before construct_instance() overwrites the instance during validation.
        self._stored_secret = self.instance.secret if self.editing else ""
        self.initial.pop("secret", None)
        if self.editing:
            self.fields["secret"].help_text = (
                "A secret is stored. " if self._stored_secret else "No secret is stored. "
            ) + "Leave empty to keep it; stored encrypted and never shown."
        else:
            self.fields.pop("clear_secret", None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.editing:
            return cleaned
        typed = cleaned.get("secret")
        if cleaned.get("clear_secret"):
            if typed:
                self.add_error("clear_secret", "Either type a new secret or clear it, not both.")
            cleaned["secret"] = ""
        elif not typed and "secret" not in self.errors:
            cleaned["secret"] = self._stored_secret
        return cleaned

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

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        # Nothing stored yet on the add page: no secret to clear.
        return fields if obj is not None else [f for f in fields if f != "clear_secret"]

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
class NotificationAdmin(ReadOnlyAdmin):
    """Read-only: rows change through the sender; resend is the one action."""

    list_display = ("created_at", "subject", "recipient", "channel", "state", "attempts", "sent_at")
    list_filter = ("state", "event", "channel", "digest")
    search_fields = ("subject", "key")
    list_select_related = ("recipient", "channel")
    show_full_result_count = False
    actions = ["resend"]
    exclude = ("claim",)

    @admin.action(description="Resend selected notifications")
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        n = sender.resend(ids)
        tasks.deliver_due.delay()
        self.message_user(request, f"{n} notification(s) queued again.", messages.SUCCESS)
