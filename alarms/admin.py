from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from alarms.models import Alarm, AlarmEvent
from unms.admin_base import AppendOnlyAdmin, ReadOnlyAdmin


class EventInline(admin.TabularInline):
    model = AlarmEvent
    fields = ("at", "kind", "user", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    """Read-only: alarms change through the lifecycle and the console's ack, so that
    every change is an event row."""

    list_display = ("raised_at", "ups", "kind", "severity", "state", "occurrences", "cleared_at")
    list_filter = ("state", "severity", "kind", "source", "frozen", "latched", "chattering")
    search_fields = ("message", "ups__name")
    date_hierarchy = "raised_at"
    list_select_related = ("ups",)
    show_full_result_count = False  # COUNT(*) over millions of rows
    inlines = [EventInline]


@admin.register(AlarmEvent)
class AlarmEventAdmin(AppendOnlyAdmin):
    list_display = ("at", "ups", "kind", "condition", "user", "message", "processed_at")
    list_filter = ("kind",)
    list_select_related = ("ups", "user")
    show_full_result_count = False
