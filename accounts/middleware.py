"""Request-scoped actor for the audit log."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.audit import Actor, acting_lazily


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wrote unless a trusted
    # proxy set it, and uvicorn --proxy-headers already puts the proxy's answer here.
    return request.META.get("REMOTE_ADDR") or None


def _source(path: str) -> str:
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/api/"):
        return "api"
    return "web"


class AuditActorMiddleware:
    """Changes made while handling a request are the logged-in user's (accounts.audit).

    Must come after AuthenticationMiddleware. The user is looked up only if the request
    writes something.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        def resolve() -> Actor | None:
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                return None
            return Actor(user.pk, user.get_username(), _source(request.path), client_ip(request))

        with acting_lazily(resolve):
            return self.get_response(request)
