"""Trap log retention: `monitoring.tasks.purge_old_traps` (hourly, PERIODIC_TASKS)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from monitoring.models import Trap
from monitoring.tasks import purge_old_traps

pytestmark = pytest.mark.django_db


def stored(*days_ago: float) -> list[Trap]:
    now = timezone.now()
    return Trap.objects.bulk_create(
        Trap(
            received_at=now - timedelta(days=d),
            source_address="127.0.0.9",
            source_port=162,
            trap_oid="1.3.6.1.2.1.33.2.1",
        )
        for d in days_ago
    )


def retention(settings: Any, days: int | None) -> None:
    unms = {k: v for k, v in settings.UNMS.items() if k != "TRAP_RETENTION_DAYS"}
    settings.UNMS = unms if days is None else unms | {"TRAP_RETENTION_DAYS": days}


def test_default_keeps_90_days(settings: Any) -> None:
    retention(settings, None)  # not set at all: 90 days
    keep = stored(0, 1, 89.9)
    stored(90.1, 200, 400)
    assert purge_old_traps() == 3
    assert set(Trap.objects.values_list("pk", flat=True)) == {t.pk for t in keep}


def test_retention_setting_is_read(settings: Any) -> None:
    retention(settings, 2)
    stored(0, 1.5, 2.5, 3)
    assert purge_old_traps() == 2
    assert Trap.objects.count() == 2


def test_zero_keeps_everything(settings: Any) -> None:
    retention(settings, 0)
    stored(0, 1000)
    assert purge_old_traps() == 0
    assert Trap.objects.count() == 2


def test_deletes_in_chunks(settings: Any) -> None:
    retention(settings, 90)
    stored(*[100 + n for n in range(7)], 1)
    assert purge_old_traps(chunk=3) == 7
    assert Trap.objects.count() == 1


def test_scheduled_and_configured() -> None:
    rows = {path: every for _, path, every in settings.PERIODIC_TASKS}
    assert rows.get("monitoring.tasks.purge_old_traps") == 3600.0
    assert callable(import_string("monitoring.tasks.purge_old_traps"))
    assert settings.UNMS["TRAP_RETENTION_DAYS"] == 90
    beat = {v["task"] for v in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "monitoring.tasks.purge_old_traps" in beat
