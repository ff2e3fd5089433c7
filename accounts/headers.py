"""Content-Security-Policy header (Django 5.2 has none built in; 6.0 will).

The policy is `settings.CONTENT_SECURITY_POLICY` (directive → sources). `connect-src`
gets this host's ws:// and wss:// origins added per request: live updates use a
WebSocket to the same host, and older browsers do not count ws: as 'self'.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


def policy_for(request: HttpRequest) -> str:
    directives: dict[str, list[str]] = {
        k: list(v) for k, v in getattr(settings, "CONTENT_SECURITY_POLICY", {}).items()
    }
    if "connect-src" in directives:
        try:
            host = request.get_host()
        except Exception:  # DisallowedHost: the response is an error page anyway
            host = ""
        if host:
            directives["connect-src"] += (
                [f"wss://{host}", f"ws://{host}"] if not request.is_secure() else [f"wss://{host}"]
            )
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view may set its own (stricter or looser) policy; we do not overwrite it.
        if HEADER not in response and getattr(settings, "CONTENT_SECURITY_POLICY", None):
            response[HEADER] = policy_for(request)
        return response
