"""WebSocket consumers of the console: the fleet (`/ws/fleet/`) and one UPS (`/ws/ups/<id>/`).

Anonymous sockets are accepted only to be closed with 4401 (a close code the page can
read; a refused handshake shows as a bare 1006), and the page then goes to the login
page. The origin is checked before this runs (`AllowedHostsOriginValidator`, unms/asgi.py).
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from monitoring.live import FLEET_GROUP, snapshot, ups_group

CLOSE_UNAUTHENTICATED = 4401


class FleetConsumer(AsyncJsonWebsocketConsumer):
    """Joins `fleet` (or `ups.<id>`), sends a snapshot, then forwards group messages."""

    joined: tuple[str, ...] = ()

    def _ups_id(self) -> int | None:
        kwargs = self.scope.get("url_route", {}).get("kwargs", {})
        return int(kwargs["ups_id"]) if "ups_id" in kwargs else None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        ups_id = self._ups_id()
        self.joined = (FLEET_GROUP,) if ups_id is None else (ups_group(ups_id),)
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self._send_snapshot()

    async def disconnect(self, code: int) -> None:
        for group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The page asks for a fresh snapshot after a long sleep (laptop lid, hidden tab):
        # pushes dropped meanwhile by a full channel are then made good.
        if isinstance(content, dict) and content.get("type") == "snapshot":
            await self._send_snapshot()

    async def _send_snapshot(self) -> None:
        payload = await database_sync_to_async(snapshot)(self.scope["user"], self._ups_id())
        await self.send_json(payload)

    # Group message handlers: the payload's `type` names them; they forward as they are.
    async def ups_state(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def alarms_ups(self, event: dict[str, Any]) -> None:
        await self.send_json(event)
