"""`manage.py alarms [--active] [--ups NAME] [--json]`: alarms for terminals and scripts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alarms.models import Alarm
from monitoring.models import Ups


def as_dict(a: Alarm) -> dict[str, Any]:
    return {
        "id": a.pk,
        "ups": a.ups.name,
        "site": a.ups.site.name,
        "kind": a.kind,
        "severity": a.severity,
        "state": a.state,
        "message": a.message,
        "source": a.source,
        "raised_at": a.raised_at.isoformat(),
        "last_seen_at": a.last_seen_at.isoformat(),
        "cleared_at": a.cleared_at.isoformat() if a.cleared_at else None,
        "occurrences": a.occurrences,
        "acknowledged_by": a.acknowledged_by.get_username() if a.acknowledged_by else None,
        "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None,
        "frozen": a.frozen,
        "latched": a.latched,
        "chattering": a.chattering,
    }


class Command(BaseCommand):
    help = "List alarms, newest first (open ones only with --active)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--active", action="store_true", help="Only alarms not cleared.")
        parser.add_argument("--ups", metavar="NAME", help="Only this UPS.")
        parser.add_argument("--json", action="store_true", help="A JSON array of objects.")
        parser.add_argument(
            "--limit", type=int, default=100, help="At most this many (0: all). Default 100."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        qs = Alarm.objects.select_related("ups__site", "acknowledged_by").order_by(
            "-raised_at", "-id"
        )
        if opts["active"]:
            qs = qs.filter(cleared_at__isnull=True)
        if opts["ups"]:
            ups = Ups.objects.filter(name=opts["ups"]).first()
            if ups is None:
                raise CommandError(f"no UPS named {opts['ups']!r}")
            qs = qs.filter(ups=ups)
        if opts["limit"] > 0:
            qs = qs[: opts["limit"]]
        if opts["json"]:
            self.stdout.write(json.dumps([as_dict(a) for a in qs.iterator()], indent=1))
            return
        rows = [
            (
                f"{a.raised_at:%Y-%m-%d %H:%M:%S}",
                a.ups.name,
                a.ups.site.name,
                a.kind,
                a.severity,
                a.state,
                str(a.occurrences),
                f"{a.cleared_at:%Y-%m-%d %H:%M:%S}" if a.cleared_at else "-",
                a.message,
            )
            for a in qs.iterator()
        ]
        header = ("RAISED", "UPS", "SITE", "KIND", "SEVERITY", "STATE", "N", "CLEARED", "MESSAGE")
        if not rows:
            self.stdout.write("No alarm.")
            return
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
        for row in [header, *rows]:
            cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
            self.stdout.write("  ".join([*cells, row[-1]]))
