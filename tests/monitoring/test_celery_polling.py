"""Polling driven by Celery with a real Redis broker and a real worker."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from monitoring.models import Measurement, Ups, UpsStatus
from monitoring.tasks import poll_due
from simulator import SimulatorThread
from tests.monitoring.conftest import ups_rows_for
from unms.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


def reconfigure(**conf: Any) -> None:
    """Apply `conf` to the Celery app for real. Celery builds its broker connection pool
    and its AMQP layer (producer pool, queues) from the configuration at first use, and
    eager `.delay()` calls use them too (to serialise): once an earlier test of the run had
    sent a task, a new broker URL or default queue alone would be ignored, and the tasks
    would go to the old broker (memory://), where no worker listens."""
    app.conf.update(**conf)
    # Both are instance attributes once built (the type stubs do not declare them);
    # without them the app builds new ones from `conf` at the next use.
    pool = app.__dict__.pop("_pool", None)
    if pool is not None:
        pool.force_close_all()
    app.__dict__.pop("amqp", None)


@pytest.fixture
def celery_worker(redis_url: str) -> Iterator[None]:
    # A queue of its own: another test run sharing this Redis must not take our tasks.
    queue = f"test-polling-{uuid.uuid4().hex}"
    reconfigure(
        broker_url=redis_url,
        task_always_eager=False,
        result_backend=None,
        task_default_queue=queue,
    )
    try:
        # A worker thread consuming from Redis: the same path as production workers.
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield
    finally:
        reconfigure(task_always_eager=True, broker_url="memory://", task_default_queue="celery")


def test_beat_task_claims_due_upses_and_a_worker_polls_them(
    sim_fleet: SimulatorThread, celery_worker: None
) -> None:
    rows = ups_rows_for(sim_fleet)

    claimed_at = timezone.now()
    claimed = poll_due()  # what beat runs every few seconds

    assert claimed == len(rows)
    # Claiming moved every UPS to a later slot: the next beat tick won't take them again.
    assert not Ups.objects.filter(next_poll_at__lte=claimed_at).exists()
    deadline = time.monotonic() + 30
    while Measurement.objects.count() < len(rows):
        assert time.monotonic() < deadline, "the worker did not poll the batch"
        time.sleep(0.2)
    states = list(UpsStatus.objects.values_list("state", "last_error"))
    assert all(state == "ok" for state, _ in states), states
