from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from monitoring.models import Site, Ups
from monitoring.traps.receiver import ReceiverConfig, ReceiverThread
from tests.traps import steps


@pytest.fixture
def after_traps(settings: Any) -> list[Any]:
    """Route AFTER_TRAPS to the recording step; returns the recorded calls."""
    steps.CALLS.clear()
    settings.UNMS = {**settings.UNMS, "AFTER_TRAPS": ["tests.traps.steps.record"]}
    return steps.CALLS


@pytest.fixture
def make_ups(db: None) -> Callable[..., Ups]:
    site = Site.objects.get_or_create(name="Trap site")[0]

    def make(name: str, host: str, **fields: Any) -> Ups:
        fields.setdefault("community", "public")
        return Ups.objects.create(name=name, site=site, host=host, **fields)

    return make


@pytest.fixture
def start_receiver() -> Iterator[Callable[..., ReceiverThread]]:
    """Start a real receiver on a free loopback port (in its own thread and loop)."""
    started: list[ReceiverThread] = []

    def start(**overrides: Any) -> ReceiverThread:
        options: dict[str, Any] = {"bind": ("127.0.0.1", 0), "batch_ms": 20, "rcvbuf": 32 << 20}
        thread = ReceiverThread(ReceiverConfig(**(options | overrides)))
        thread.start()
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop()
