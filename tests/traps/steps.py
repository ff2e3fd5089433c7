"""AFTER_TRAPS steps for the tests: record what they get, or fail on purpose."""

from __future__ import annotations

import threading

from monitoring.traps.events import TrapEvent

CALLS: list[list[TrapEvent]] = []
_lock = threading.Lock()


def record(events: list[TrapEvent]) -> None:
    with _lock:
        CALLS.append(list(events))


def fail(events: list[TrapEvent]) -> None:
    raise RuntimeError("a broken AFTER_TRAPS step")


def recorded() -> list[TrapEvent]:
    with _lock:
        return [event for call in CALLS for event in call]
