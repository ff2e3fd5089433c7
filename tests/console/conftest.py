"""Console tests: an in-memory channel layer whatever REDIS_URL says, so that groups are
private to each test (the Redis case has its own test, skipped without REDIS_URL)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _in_memory_layer(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
