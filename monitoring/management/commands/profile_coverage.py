"""`manage.py profile_coverage [--json] [UPS name ...]`: per UPS, the profile in use
and which of its values the card answered at the last poll and which it did not, so
administrators see gaps instead of silent blanks (docs/profiles.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from monitoring.models import Ups, UpsProfileState


class Command(BaseCommand):
    help = "List per UPS which values its profile could read and which it could not."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="UPS names (default: all)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        upses = Ups.objects.order_by("name")
        if opts["names"]:
            upses = upses.filter(name__in=opts["names"])
        states = {s.ups_id: s for s in UpsProfileState.objects.filter(ups__in=upses)}
        rows: list[dict[str, Any]] = []
        for ups in upses:
            state = states.get(ups.pk)
            rows.append(
                {
                    "ups": ups.name,
                    "profile": ups.profile or (state.profile_used if state else "") or None,
                    "pinned": bool(ups.profile),
                    "reason": state.reason if state else "",
                    "read": state.read_fields if state else [],
                    "missing": state.missing_fields if state else [],
                    "suspicious": state.suspicious if state else [],
                    "polled": state is not None and state.updated_at is not None,
                }
            )
        if opts["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            head = f"{row['ups']}: {row['profile'] or 'not detected yet'}"
            self.stdout.write(head + (" (pinned)" if row["pinned"] else ""))
            if not row["polled"]:
                self.stdout.write("  no successful poll yet")
                continue
            self.stdout.write(f"  reads   ({len(row['read'])}): {', '.join(row['read'])}")
            self.stdout.write(f"  missing ({len(row['missing'])}): {', '.join(row['missing'])}")
            for note in row["suspicious"]:
                self.stdout.write(f"  suspicious: {note}")
