"""`manage.py install_licence KEY` (or `-` to read it from standard input): verify and
install a licence key, replacing the current one. Without KEY: show the licence in force."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.audit import acting_as
from licensing import service
from licensing.tokens import LicenceError


class Command(BaseCommand):
    help = "Install (or replace) the licence key; without a key, show the licence in force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", nargs="?", help="the licence key, or - for standard input")

    def handle(self, *args: Any, key: str | None, **options: Any) -> None:
        if key is not None:
            if key == "-":
                key = sys.stdin.read()
            try:
                with acting_as(source="install_licence"):
                    licence = service.install(key)
            except LicenceError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"installed: {licence.describe()}")
        current = service.status()
        self.stdout.write(f"tier: {current.tier.label}; {current.usage} monitored")
        if current.licence is not None:
            self.stdout.write(f"licence: {current.licence.describe()}")
        if current.problem:
            self.stdout.write(current.problem)
        if current.expired:
            self.stdout.write("the licence has expired: the free tier's limit applies")
        if current.over_limit:
            self.stdout.write(
                f"over the limit by {current.used - current.limit}: every monitored UPS is "
                "still monitored, but none can be added or enabled"
            )
