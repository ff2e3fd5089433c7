"""Browser pop-ups: a message to the channel-layer group `user.<id>`, which every open
WebSocket of that user joins (`notifications.consumers.PopupConsumer`).

Delivery is "handed to the layer". A user with no page open loses nothing: the consumer
replays the user's unacknowledged pop-ups on connect, and a pop-up stays until one of
the user's sessions acknowledges it (then every session closes it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from notifications.choices import ChannelKind
from notifications.messages import absolute
from notifications.transports.base import Transport, TransportError

if TYPE_CHECKING:
    from notifications.messages import Message
    from notifications.models import Recipient


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def popup_payload(message: Message, sound: bool) -> dict[str, Any]:
    """The `popup` object of a `{"type": "popup.show", "popup": ...}` frame
    (docs/notifications.md)."""
    return {
        "id": message.notification_ids[0],
        "ids": list(message.notification_ids),
        "kind": message.kind,
        "subject": message.subject,
        "severity": message.severity,
        "sound": sound,
        # One alarm: its UPS page; a digest: the live alarm list.
        "url": message.first["url"] if len(message.items) == 1 else absolute("/alarms/"),
        "alarms": [
            {
                k: i[k]
                for k in (
                    "alarm_id",
                    "ups",
                    "site",
                    "condition",
                    "severity",
                    "event_label",
                    "message",
                    "url",
                )
            }
            for i in message.items
        ],
    }


def within_scope(message: Message, user: Any) -> Message | None:
    """`message` with only the alarms of UPSs the user sees (accounts.roles scope); None
    when that leaves nothing. Rules are written per region or site by administrators, a
    pop-up still must not show a restricted user another branch's UPS."""
    from accounts.roles import visible_ups_ids
    from notifications.messages import Message, digest_subject

    ids = visible_ups_ids(user)
    if ids is None:
        return message
    visible = set(ids)
    keep = tuple(i for i in message.items if i.get("ups_id") is None or i["ups_id"] in visible)
    if len(keep) == len(message.items):
        return message
    if not keep:
        return None
    # The ids stay whole: acknowledging the pop-up settles the hidden rows too.
    return Message(message.kind, digest_subject(keep), keep, message.notification_ids)


class PopupTransport(Transport):
    kind = ChannelKind.POPUP

    def is_noop(self, recipient: Recipient) -> str:
        return "" if recipient.user_id else "pop-ups need a recipient with a user"

    def notify(self, message: Message, recipient: Recipient) -> dict[str, Any]:
        layer = get_channel_layer()
        if layer is None:
            raise TransportError("no channel layer configured", permanent=True)
        group = user_group(recipient.user_id or 0)
        scoped = within_scope(message, recipient.user)
        if scoped is None:
            return {"group": group, "skipped": "no alarm within the user's scope"}
        message = scoped
        try:
            async_to_sync(layer.group_send)(
                group, {"type": "popup.show", "popup": popup_payload(message, self.channel.sound)}
            )
        except OSError as exc:  # Redis down: the outbox retries
            raise TransportError(f"channel layer unavailable: {exc}") from exc
        return {"group": group}
