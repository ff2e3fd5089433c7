"""Listening on the in-memory channel layer, for the console push tests."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def listen(group: str) -> tuple[Any, str]:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return layer, channel


def drain(layer: Any, channel: str) -> list[dict[str, Any]]:
    """Everything queued for `channel` in the in-memory layer, without waiting."""
    queue = layer.channels.get(channel)
    out = []
    while queue is not None and not queue.empty():
        out.append(queue.get_nowait()[1])
    return out
