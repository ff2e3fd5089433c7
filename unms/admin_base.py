"""Admin base classes for the rows the system writes, shared by the apps."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the system writes (poller, alarm lifecycle, notification outbox): the admin
    may look, and delete where the model lets it, but neither add nor change."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AppendOnlyAdmin(ReadOnlyAdmin):
    """Records kept as evidence (alarm events, the trap log, the licence): not even
    deleted from the admin."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
