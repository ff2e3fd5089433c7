from __future__ import annotations

import secrets
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from api.models import PREFIX, ApiToken, hash_token


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "created_at", "last_used_at"]
    list_filter = ["user"]
    search_fields = ["name", "user__username", "key_prefix"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]
    fields = ["user", "name", "key_prefix", "created_at", "last_used_at"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if not change:
            # Same format as ApiToken.issue; the clear token is shown this once only.
            token = PREFIX + secrets.token_urlsafe(32)
            obj.key_hash, obj.key_prefix = hash_token(token), token[:12]
            super().save_model(request, obj, form, change)
            messages.warning(
                request, f"Token for {obj.name}: {token} — copy it now, it is not shown again."
            )
            return
        super().save_model(request, obj, form, change)
