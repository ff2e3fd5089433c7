"""Transports by channel kind: the only table the sender looks in."""

from __future__ import annotations

from notifications.choices import ChannelKind
from notifications.transports.base import Transport, TransportError
from notifications.transports.email import EmailTransport
from notifications.transports.popup import PopupTransport
from notifications.transports.program import ProgramTransport
from notifications.transports.webhook import WebhookTransport

TRANSPORTS: dict[str, type[Transport]] = {
    ChannelKind.EMAIL: EmailTransport,
    ChannelKind.POPUP: PopupTransport,
    ChannelKind.PROGRAM: ProgramTransport,
    ChannelKind.WEBHOOK: WebhookTransport,
}

__all__ = ["TRANSPORTS", "Transport", "TransportError"]
