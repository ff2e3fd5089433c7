"""`manage.py probe HOST[:PORT]`: poll one agent once and print the normalised reading.

What an administrator runs before adding a UPS: is it reachable, which profile fits,
and do the values look right.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring.readings import Reading
from monitoring.snmp.client import Target
from monitoring.snmp.engine import PollEngine, PollJob
from monitoring.status import UNKNOWN, assess


def parse_endpoint(value: str) -> tuple[str, int]:
    """HOST, HOST:PORT or [IPv6]:PORT."""
    host, port = value, 161
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
        port = int(port_text)
    if not host or not 0 < port < 65536:
        raise ValueError(value)
    return host, port


def probe_json(reading: Reading) -> dict[str, Any]:
    """The documented JSON shape: the reading plus its traffic-light status."""
    data = reading.as_dict()
    data["status"] = str(assess(reading, UNKNOWN, comm_lost_after=1).state)
    return data


class Command(BaseCommand):
    help = "Poll one SNMP agent once and print its normalised UPS reading."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("endpoint", metavar="HOST[:PORT]")
        parser.add_argument("--community", default="public")
        parser.add_argument("--snmp-version", choices=["1", "2c"], default="2c")
        parser.add_argument(
            "--profile",
            default="",
            help="pin a profile (default: detect it; the output says which and why)",
        )
        parser.add_argument("--timeout", type=float, default=2.0, help="seconds per try")
        parser.add_argument("--retries", type=int, default=1)
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            host, port = parse_endpoint(opts["endpoint"])
        except ValueError:
            raise CommandError(f"not a HOST[:PORT]: {opts['endpoint']!r}") from None
        target = Target(
            host,
            port,
            community=opts["community"],
            version=opts["snmp_version"],
            timeout_s=opts["timeout"],
            retries=opts["retries"],
        )
        reason = f"pinned on the command line ({opts['profile']})" if opts["profile"] else None
        job = PollJob("probe", target, profile=opts["profile"], profile_reason=reason)
        reading = asyncio.run(self._poll(job))
        if not reading.reachable:
            raise CommandError(f"{host}:{port} unreachable: {reading.error}")
        data = probe_json(reading)
        if opts["json"]:
            self.stdout.write(json.dumps(data, indent=2))
        else:
            self._print_human(data)

    async def _poll(self, job: PollJob) -> Reading:
        async with PollEngine(max_in_flight=1) as engine:
            return await engine.poll_one(job)

    def _print_human(self, data: dict[str, Any]) -> None:
        def show(value: object) -> str:
            return "not reported" if value is None else str(value)

        scalars = [
            "status", "profile", "profile_reason", "sys_object_id", "manufacturer", "model",
            "battery_status",
            "seconds_on_battery", "runtime_remaining_s", "charge_pct", "battery_voltage_v",
            "battery_temperature_c", "output_source", "output_frequency_hz",
        ]  # fmt: skip
        for key in scalars:
            self.stdout.write(f"{key:24} {show(data[key])}")
        for table in ("input", "output", "bypass"):
            for number, line in enumerate(data[table], start=1):
                values = ", ".join(f"{k}={show(v)}" for k, v in line.items())
                self.stdout.write(f"{table} L{number:<18} {values}")
        self.stdout.write(f"{'alarms':24} {', '.join(data['alarms']) or 'none'}")
        for sample in data["sensors"]:
            label = f"sensor {sample['kind']}.{sample['channel']}"
            name = f" ({sample['name']})" if sample["name"] else ""
            self.stdout.write(f"{label:24} {show(sample['value'])} {sample['unit'] or ''}{name}")
        for note in data["suspicious"]:
            self.stdout.write(f"{'suspicious':24} {note}")
        for note in data["notes"]:
            self.stdout.write(f"{'note':24} {note}")
