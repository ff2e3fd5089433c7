"""`manage.py demo`: the whole product on one laptop, in one process.

Migrates, creates an administrator with a random password (printed once), puts the demo
estate in the inventory, and runs the simulated fleet, the monitoring loop and the web
server on one event loop, so the in-memory channel layer is shared by all of them.
Ctrl-C stops everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import Iterator
from typing import Any

import uvicorn
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from monitoring.loop import MonitorLoop
from monitoring.models import Region, Site, Ups
from monitoring.traps.receiver import ReceiverConfig, TrapReceiver
from simulator import Simulator, UpsSpec
from simulator.demo import DemoDirector, DemoSite, demo_fleet

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the demo owns Ctrl-C for all its parts."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def ensure_admin(username: str) -> str:
    """(Re)set the demo administrator's password to a fresh random one and return it."""
    password = secrets.token_urlsafe(12)
    user, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": True, "is_superuser": True}
    )
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    return password


@transaction.atomic
def sync_inventory(fleet: list[tuple[DemoSite, UpsSpec]]) -> int:
    """Regions, sites and UPSs of the demo estate, pointing at the simulated agents."""
    for demo_site, spec in fleet:
        region, _ = Region.objects.get_or_create(name=demo_site.region)
        site, _ = Site.objects.get_or_create(name=demo_site.name, defaults={"region": region})
        three = spec.model == "three"
        Ups.objects.update_or_create(
            name=spec.name,
            defaults={
                "site": site,
                "host": spec.address,
                "port": spec.port,
                "community": spec.community,
                "enabled": True,
                "model": "Simulated 3-phase 20 kVA" if three else "Simulated 1-phase 3 kVA",
                "rated_va": 20000 if three else 3000,
            },
        )
    return len(fleet)


class Command(BaseCommand):
    help = "Run the demo: simulated fleet + monitoring + web console on one machine."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="web server address")
        parser.add_argument("--port", type=int, default=8000, help="web server port")
        parser.add_argument("--sim-port", type=int, default=1161, help="SNMP port of the agents")
        parser.add_argument("--trap-port", type=int, default=1162, help="trap receiver port")
        parser.add_argument("--speed", type=float, default=10.0, help="simulated time factor")
        parser.add_argument("--username", default="admin")
        parser.add_argument("--no-incidents", action="store_true", help="keep the fleet calm")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        password = ensure_admin(opts["username"])
        fleet = demo_fleet(opts["sim_port"], trap_target=f"127.0.0.1:{opts['trap_port']}")
        count = sync_inventory(fleet)
        url = f"http://{opts['host']}:{opts['port']}/"
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  UPS fleet console: {url}\n"
                f"  log in as {opts['username']!r} with password {password!r}\n"
                f"  {count} simulated UPSs on 127.0.10.x:{opts['sim_port']}, "
                f"traps to 127.0.0.1:{opts['trap_port']}; Ctrl-C stops.\n"
            )
        )
        asyncio.run(self._serve([spec for _, spec in fleet], **opts))

    async def _serve(self, fleet: list[UpsSpec], **opts: Any) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)

        simulator = Simulator(fleet, speed=opts["speed"])
        await simulator.start()
        if simulator.fallbacks:
            log.warning("these agents share 127.0.0.1 on other ports: %s", simulator.fallbacks)
        server = _EmbeddedServer(
            uvicorn.Config(
                "unms.asgi:application",
                host=opts["host"],
                port=opts["port"],
                log_level="warning",
                lifespan="off",
            )
        )
        traps = TrapReceiver(ReceiverConfig.from_settings(f"127.0.0.1:{opts['trap_port']}"))
        tasks = [
            asyncio.create_task(server.serve(), name="web"),
            asyncio.create_task(MonitorLoop().run(stop), name="monitor"),
            asyncio.create_task(traps.serve(), name="traps"),
        ]
        if not opts["no_incidents"]:
            tasks.append(asyncio.create_task(DemoDirector(simulator).run(), name="incidents"))
        web = tasks[0]
        try:
            # The web server ends on its own only when it could not start (port taken).
            await asyncio.wait(
                [web, asyncio.create_task(stop.wait())], return_when="FIRST_COMPLETED"
            )
            if web.done() and not stop.is_set():
                raise CommandError(f"the web server could not start on port {opts['port']}")
        finally:
            stop.set()
            server.should_exit = True
            traps.stop()
            for task in tasks:
                if task.get_name() == "incidents":
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await simulator.stop()
            self.stdout.write("demo stopped")
