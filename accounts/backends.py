"""ModelBackend with login throttling (accounts.throttle), for every login form: the
console's and the admin's both authenticate through here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts import throttle
from accounts.middleware import client_ip


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            from django.contrib.auth import get_user_model

            username = kwargs.get(get_user_model().USERNAME_FIELD)
        ip = client_ip(request) if request is not None else None
        throttle.check(username, ip)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            if throttle.failed(username, ip):
                from accounts import audit
                from accounts.models import AuditAction

                audit.record(
                    AuditAction.LOCKOUT,
                    actor=audit.Actor(None, throttle.normalise(username) or "?", "web", ip),
                    object_type="auth.user",
                    object_repr=throttle.normalise(username),
                    message="too many failed logins: locked out",
                )
            return None
        throttle.succeeded(username)
        return user
