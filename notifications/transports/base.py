"""The transport interface: one small class per kind of channel (healthchecks' style).

`notify()` delivers one message to one recipient and returns details for the log, or
raises `TransportError`; `permanent=True` means retrying cannot help (a refused
address, a 4xx), so the row fails at once instead of after every back-off step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from notifications.messages import Message
    from notifications.models import Channel, Recipient


class TransportError(Exception):
    def __init__(
        self, message: str, *, permanent: bool = False, result: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.result = result or {}


class Transport:
    kind: ClassVar[str]

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def is_noop(self, recipient: Recipient) -> str:
        """Why this recipient cannot be reached on this channel ("" if it can)."""
        return ""

    def notify(self, message: Message, recipient: Recipient) -> dict[str, Any]:
        raise NotImplementedError

    def close(self) -> None:
        """End of a delivery batch: release connections kept open across messages."""
