"""`manage.py trapd [--bind HOST:PORT]`: the SNMP trap receiver (docs/traps.md)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from monitoring.traps.receiver import ReceiverConfig, TrapReceiver, parse_bind


class Command(BaseCommand):
    help = "Receive SNMP v1/v2c traps and informs from the UPS cards and store them in batches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--bind",
            help='HOST:PORT to listen on (default settings.UNMS["TRAP_BIND"], env UNMS_TRAP_BIND; '
            "production 0.0.0.0:162).",
        )

    def handle(self, *args: Any, bind: str | None, **options: Any) -> None:
        try:
            if bind:
                parse_bind(bind)
            config = ReceiverConfig.from_settings(bind)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            asyncio.run(self._run(config))
        except PermissionError as exc:
            raise CommandError(
                f"cannot bind {config.bind[0]}:{config.bind[1]}: {exc}. Ports below 1024 need "
                "root or CAP_NET_BIND_SERVICE (docs/traps.md)."
            ) from exc

    async def _run(self, config: ReceiverConfig) -> None:
        receiver = TrapReceiver(config)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            # Stop receiving, store what is queued, then exit.
            loop.add_signal_handler(sig, receiver.stop)
        await receiver.serve()
