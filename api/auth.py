"""Who is calling: a logged-in browser session (the UPS page's charts) or an API token.

Tokens travel in `Authorization: Bearer <token>` (`Token <token>` is accepted too, for
tools that only know that word). Failures answer 401 with a `WWW-Authenticate` header,
never a redirect to the login page: API clients cannot follow one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from api.models import ApiToken, hash_token

View = Callable[..., HttpResponse]
SCHEMES = ("bearer", "token")


def unauthorized(message: str, error: str = "invalid_request") -> JsonResponse:
    response = JsonResponse({"error": message}, status=401)
    response["WWW-Authenticate"] = f'Bearer realm="unms", error="{error}"'
    return response


def token_from(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in SCHEMES and value.strip():
        return value.strip()
    return None


def _touch(token: ApiToken) -> None:
    # At most one write per token per TOKEN_TOUCH_S: a scraper every 15 s must not turn
    # every read into a write.
    now = timezone.now()
    every = timedelta(seconds=settings.UNMS["API"]["TOKEN_TOUCH_S"])
    if token.last_used_at is None or now - token.last_used_at >= every:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def authenticate(request: HttpRequest) -> tuple[Any, JsonResponse | None]:
    """(user, None) when the caller may read; (None, 401 response) otherwise."""
    raw = token_from(request)
    if raw is None:
        if request.user.is_authenticated:
            return request.user, None
        return None, unauthorized("authentication required: send Authorization: Bearer <token>")
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        return None, unauthorized("invalid or revoked token", "invalid_token")
    _touch(token)
    return token.user, None


def api_view(view: View) -> View:
    """GET only, authenticated, JSON errors."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"error": "read-only API: GET only"}, status=405)
        user, failure = authenticate(request)
        if failure is not None:
            return failure
        request.user = user
        return view(request, *args, **kwargs)

    return wrapper


def address_allowed(request: HttpRequest) -> bool:
    """The client address is in settings.UNMS["API"]["METRICS_ALLOW"] (CIDR list).

    REMOTE_ADDR only: behind a reverse proxy, list the proxy's address or use a token;
    X-Forwarded-For is written by the client and proves nothing.
    """
    allow = settings.UNMS["API"]["METRICS_ALLOW"]
    if not allow:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in allow)
