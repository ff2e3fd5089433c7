"""WebSocket consumers of the console: the fleet (`/ws/fleet/`) and one UPS (`/ws/ups/<id>/`).

Anonymous sockets are accepted only to be closed with 4401 (a close code the page can
read; a refused handshake shows as a bare 1006), and the page then goes to the login
page. The origin is checked before this runs (`AllowedHostsOriginValidator`, unms/asgi.py).

Scope (accounts.roles): every console joins the same groups, and a console whose user
sees only some sites drops the pushes about other UPSs before they leave the server;
fleet-wide aggregates in a push (`rescope`) are recomputed for its user. A UPS page
outside the scope (or of no UPS) is closed with 4403. The set of visible UPSs is read at
connect and again at each snapshot and after `SCOPE_TTL_S`: a scope change reaches open
consoles within that time.
"""

from __future__ import annotations

import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from accounts.roles import can_view, visible_ups_ids
from monitoring.live import FLEET_GROUP, RESCOPE, rescoped, snapshot, ups_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
SCOPE_TTL_S = 60.0


class FleetConsumer(AsyncJsonWebsocketConsumer):
    """Joins `fleet` (or `ups.<id>`), sends a snapshot, then forwards group messages
    about the UPSs its user may see."""

    joined: tuple[str, ...] = ()
    # None: the user sees every UPS; else the ids of those they see.
    visible: frozenset[int] | None = frozenset()
    visible_at: float = 0.0
    user: Any = None  # the user, as of the last scope read

    def _ups_id(self) -> int | None:
        kwargs = self.scope.get("url_route", {}).get("kwargs", {})
        return int(kwargs["ups_id"]) if "ups_id" in kwargs else None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self._load_scope()
        ups_id = self._ups_id()
        if not self._sees(ups_id):
            await self.accept()
            await self.close(code=CLOSE_FORBIDDEN)
            return
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
        if not self.joined:
            return
        if isinstance(content, dict) and content.get("type") == "snapshot":
            await self._load_scope()
            if not self._sees(self._ups_id()):
                await self.close(code=CLOSE_FORBIDDEN)
                return
            await self._send_snapshot()

    async def _send_snapshot(self) -> None:
        payload = await database_sync_to_async(snapshot)(self.user, self._ups_id())
        await self.send_json(payload)

    # --- scope ------------------------------------------------------------------------

    def _read_scope(self) -> tuple[Any, frozenset[int] | None]:
        # A fresh user row: the session's user object caches its role and scope, and
        # an administrator's change must reach a console that stays open for days.
        user = self.scope["user"]
        fresh = get_user_model().objects.filter(pk=user.pk).first()
        if fresh is None or not can_view(fresh):
            return user, frozenset()
        ids = visible_ups_ids(fresh)
        return fresh, None if ids is None else frozenset(ids)

    async def _load_scope(self) -> None:
        self.user, self.visible = await database_sync_to_async(self._read_scope)()
        self.visible_at = time.monotonic()

    def _sees(self, ups_id: int | None) -> bool:
        """May this console show `ups_id` (None: the fleet page itself)?"""
        if ups_id is None or self.visible is None:
            return True
        return ups_id in self.visible

    async def _forward(self, event: dict[str, Any]) -> None:
        if self.visible is not None and time.monotonic() - self.visible_at > SCOPE_TTL_S:
            await self._load_scope()
        ups_id = event.get("ups_id")
        if ups_id is not None and not self._sees(int(ups_id)):
            return
        message = dict(event)
        keys = message.pop(RESCOPE, None)
        if keys and self.visible is not None:
            message.update(await database_sync_to_async(rescoped)(self.user, keys))
        await self.send_json(message)

    # Group message handlers: the payload's `type` names them; they forward it.
    async def ups_state(self, event: dict[str, Any]) -> None:
        await self._forward(event)

    async def alarms_ups(self, event: dict[str, Any]) -> None:
        await self._forward(event)
