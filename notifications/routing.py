"""WebSocket routes of the notifications app, for unms/asgi.py's URLRouter
(inside AuthMiddlewareStack: the consumer needs scope["user"])."""

from __future__ import annotations

from django.urls import path

from notifications.consumers import PopupConsumer

websocket_urlpatterns = [path("ws/notifications/", PopupConsumer.as_asgi())]
