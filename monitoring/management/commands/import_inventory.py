"""`manage.py import_inventory FILE.csv [--dry-run]`: the CLI face of monitoring.inventory.

Exit codes (docs/inventory.md): 0 every row imported or unchanged; 1 some rows rejected
(the others were imported); 2 the file could not be used at all, nothing was written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from monitoring.inventory import Action, InventoryError, import_file

EXIT_REJECTED_ROWS = 1
EXIT_UNUSABLE_FILE = 2


class Command(BaseCommand):
    help = (
        "Create or update sites and UPSs from a CSV file, matching UPSs by host and port. "
        "Format and exit codes: docs/inventory.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, with a header row")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check every row and report what would change, without writing anything",
        )

    def handle(self, *args: Any, file: Path, dry_run: bool, **options: Any) -> None:
        try:
            report = import_file(file, dry_run=dry_run)
        except InventoryError as exc:
            raise CommandError(f"{file}: {exc}", returncode=EXIT_UNUSABLE_FILE) from exc
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        verbose = options["verbosity"] >= 2
        for result in report.results:
            if result.action is Action.REJECTED:
                self.stderr.write(result.describe())
            elif result.action is not Action.UNCHANGED or verbose:
                self.stdout.write(result.describe(dry_run=dry_run))
        prefix = "dry run, nothing written: " if dry_run else ""
        self.stdout.write(prefix + report.summary())
        if report.rejected:
            raise CommandError(
                f"{len(report.rejected)} row(s) rejected; the other rows were "
                + ("checked" if dry_run else "imported"),
                returncode=EXIT_REJECTED_ROWS,
            )
