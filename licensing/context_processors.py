"""`licence` in every template: tier, usage and expiry, for the banner (templates/licensing/
_banner.html, included once by base.html). Only for logged-in users: the login page must
not leak the fleet size."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def licence(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from accounts.roles import can_manage_licence
    from licensing.service import status

    # Lazy: pages that do not render the banner (JSON, CSV) pay nothing.
    class _Lazy:
        _value: Any = None

        def __getattr__(self, name: str) -> Any:
            if self._value is None:
                self._value = status()
            return getattr(self._value, name)

    return {"licence": _Lazy(), "can_manage_licence": can_manage_licence(user)}
