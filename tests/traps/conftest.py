from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from monitoring.models import Site, Ups
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
