"""The embedded scheduler: `manage.py monitor` and the demo run this in-process.

It claims due UPSs with the same `claim_due` as Celery's `poll_due`, polls them with one
long-lived asyncio engine (batches overlap: a batch waiting on a dead UPS never holds up
the next one), and calls the periodic tasks of `settings.PERIODIC_TASKS` in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from monitoring.polling import Poller
from monitoring.scheduler import claim_due

log = logging.getLogger(__name__)


class MonitorLoop:
    def __init__(self, tick_s: float = 1.0, poller: Poller | None = None) -> None:
        self.tick_s = tick_s
        self.poller = poller or Poller()
        self._running: set[asyncio.Task[object]] = set()
        self._next_run: dict[str, float] = {}

    async def run(self, stop: asyncio.Event) -> None:
        log.info("monitor loop started (tick %.1f s)", self.tick_s)
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                # A database hiccup must not end monitoring: log and try again next tick.
                log.exception("monitor tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.tick_s)
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        log.info("monitor loop stopped")

    async def tick(self) -> None:
        batch_size = settings.UNMS["POLL_BATCH_SIZE"]
        while claims := await sync_to_async(claim_due)(timezone.now(), batch_size):
            self._spawn(self.poller.poll([c.ups_id for c in claims]), "poll batch")
            if len(claims) < batch_size:
                break
        now = time.monotonic()
        for name, task_path, every in settings.PERIODIC_TASKS:
            if self._next_run.get(name, 0) <= now:
                self._next_run[name] = now + every
                task = import_string(task_path)
                self._spawn(sync_to_async(task, thread_sensitive=True)(), name)

    def _spawn(self, coro: Awaitable[object], what: str) -> None:
        task = asyncio.ensure_future(coro)
        self._running.add(task)

        def done(t: asyncio.Task[object]) -> None:
            self._running.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("%s failed", what, exc_info=t.exception())

        task.add_done_callback(done)
