"""The licence in the admin index: a link to the licence page (where keys are installed)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.roles import can_manage_licence
from licensing.models import LicenceState
from unms.admin_base import AppendOnlyAdmin


@admin.register(LicenceState)
class LicenceAdmin(AppendOnlyAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_manage_licence(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_manage_licence(request.user)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not can_manage_licence(request.user):
            return super().changelist_view(request, extra_context)  # the admin's 403
        return HttpResponseRedirect(reverse("licensing:page"))
