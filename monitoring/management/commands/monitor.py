"""`manage.py monitor`: the in-process scheduler for the embedded mode (no Celery)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand

from monitoring.loop import MonitorLoop


class Command(BaseCommand):
    help = "Poll every enabled UPS on its schedule, in this process (embedded mode)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between claims.")

    def handle(self, *args: Any, tick: float, **options: Any) -> None:
        asyncio.run(self._run(tick))

    async def _run(self, tick: float) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await MonitorLoop(tick_s=tick).run(stop)
