"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unms.settings")

# Django must be set up before anything imports models (consumers do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from monitoring.routing import websocket_urlpatterns as monitoring_routes  # noqa: E402
from notifications.routing import websocket_urlpatterns as notification_routes  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin against ALLOWED_HOSTS first (a page on another site must not ride on the
        # operator's session cookie), then the session's user, then the route.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([*monitoring_routes, *notification_routes]))
        ),
    }
)
