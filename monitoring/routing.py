"""WebSocket routes of the console (HTTP routes are in monitoring/urls.py)."""

from __future__ import annotations

from django.urls import path

from monitoring.consumers import FleetConsumer

websocket_urlpatterns = [
    path("ws/fleet/", FleetConsumer.as_asgi(), name="ws-fleet"),
    path("ws/ups/<int:ups_id>/", FleetConsumer.as_asgi(), name="ws-ups"),
]
