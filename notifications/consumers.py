"""Pop-ups over WebSocket: every open page of a user joins the group `user.<id>`.

Server -> browser frames (JSON):
  {"type": "popup.show", "popup": {...}}     a pop-up to show (payload in docs)
  {"type": "popup.dismiss", "ids": [..]}     acknowledged elsewhere: close it here too
Browser -> server:
  {"type": "ack", "ids": [..]}               the user acknowledged a pop-up
On connect the user's unacknowledged pop-ups are replayed, so a pop-up sent while no
page was open - or before a reload - still shows until acknowledged.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import Q
from django.utils import timezone

from accounts.roles import visible_ups_ids
from notifications.choices import ChannelKind, State
from notifications.messages import message_for
from notifications.models import Notification
from notifications.transports.popup import popup_payload, user_group

REPLAY_LIMIT = 50


class PopupConsumer(AsyncJsonWebsocketConsumer):
    group: str = ""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user_id = user.pk
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        for popup in await self._unacknowledged():
            await self.send_json({"type": "popup.show", "popup": popup})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "ack":
            return
        ids = [int(i) for i in content.get("ids", []) if str(i).isdigit()]
        done = await self._acknowledge(ids)
        if done:
            await self.channel_layer.group_send(self.group, {"type": "popup.dismiss", "ids": done})

    async def popup_show(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "popup.show", "popup": event["popup"]})

    async def popup_dismiss(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "popup.dismiss", "ids": event["ids"]})

    def _mine(self) -> Any:
        return Notification.objects.filter(
            recipient__user_id=self.user_id,
            channel__kind=ChannelKind.POPUP,
            state=State.SENT,
            acknowledged_at__isnull=True,
        )

    @database_sync_to_async
    def _unacknowledged(self) -> list[dict[str, Any]]:
        mine = self._mine()
        # Only alarms of UPSs the user sees (accounts.roles scope), before the limit;
        # test pop-ups have no alarm.
        ids = visible_ups_ids(self.scope["user"])
        if ids is not None:
            mine = mine.filter(Q(alarm__isnull=True) | Q(alarm__ups_id__in=ids))
        rows = list(mine.select_related("channel").order_by("sent_at", "id")[:REPLAY_LIMIT])
        # Rows sent together as one digest are shown together again.
        by_sent: dict[tuple[Any, int], list[Notification]] = {}
        for r in rows:
            by_sent.setdefault((r.sent_at, r.channel_id), []).append(r)
        return [popup_payload(message_for(g), g[0].channel.sound) for g in by_sent.values()]

    @database_sync_to_async
    def _acknowledge(self, ids: list[int]) -> list[int]:
        mine = self._mine().filter(pk__in=ids)
        mine.update(acknowledged_at=timezone.now())
        # Also the user's pop-ups acknowledged already: another session did it while this
        # page was disconnected and missed the dismiss; without one it could never close.
        return list(
            Notification.objects.filter(
                pk__in=ids,
                recipient__user_id=self.user_id,
                channel__kind=ChannelKind.POPUP,
                acknowledged_at__isnull=False,
            ).values_list("pk", flat=True)
        )
