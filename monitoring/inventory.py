"""CSV import of the inventory: regions, sites and UPSs, matched by host + port.

1. `parse` turns the file into rows. A problem with the file as a whole (not UTF-8, not
   CSV, a required column missing) raises InventoryError before anything is written.
2. `import_rows` checks each row with the admin's form (`UpsForm`: the rules live in one
   place), compares it with what is stored, and saves it in its own savepoint, so a bad
   row, even one the database refuses, costs that row only.

The whole import is one transaction. A dry run goes through exactly the same steps and
rolls the transaction back at the end, so it reports what a real run would do (a rename
on line 3 that frees a name for line 9 included) without writing anything.

Communities are secrets: rows never show them in their repr, and every message built
from a row is scrubbed of that row's communities before it leaves this module.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.forms.models import model_to_dict

from monitoring.forms import SECRET_FIELDS, UpsForm
from monitoring.models import Region, Site, Ups

logger = logging.getLogger(__name__)

REQUIRED_COLUMNS = ("site", "name", "host", "port", "snmp_version", "community")
OPTIONAL_COLUMNS = (
    "region",
    "trap_community",
    "poll_interval_s",
    "enabled",
    "notes",
    "model",
    "serial_number",
    "rated_va",
    "installed_on",
    "battery_installed_on",
    "site_description",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_SITE_COLUMNS = frozenset({"site", "region", "site_description"})
#: Columns that are fields of the UPS form, under the same name.
UPS_COLUMNS = tuple(c for c in COLUMNS if c not in _SITE_COLUMNS)
_DATE_COLUMNS = ("installed_on", "battery_installed_on")
# Spreadsheets in comma-decimal locales export with ";"; "Unicode text" exports use tabs.
_DELIMITERS = (",", ";", "\t")
_TRUE = frozenset({"1", "true", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "no", "n", "off"})
_REDACT_MIN = 4
_UTF8_HINT = "save it from the spreadsheet as 'CSV UTF-8'"


class InventoryError(Exception):
    """The file as a whole cannot be imported; nothing was written."""


class Action(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its first line in the file and its cells by column name."""

    line: int
    # Holds the communities: kept out of repr, so no traceback or log shows them.
    values: Mapping[str, str] = field(repr=False)
    problem: str = ""  # set when the row cannot even be read as fields (wrong field count)

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(value for name in SECRET_FIELDS if (value := self.get(name)))


@dataclass(frozen=True, slots=True)
class ParsedFile:
    columns: tuple[str, ...]
    unknown_columns: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class RowResult:
    line: int
    action: Action
    name: str
    detail: str = ""  # what was created or changed, or why the row was rejected

    def describe(self, *, dry_run: bool = False) -> str:
        if self.action is Action.REJECTED:
            return f"line {self.line}: {self.detail}"
        verb = str(self.action)
        if dry_run and self.action in (Action.CREATED, Action.UPDATED):
            verb = "would " + verb.removesuffix("d")
        text = f"line {self.line}: {verb} {self.name}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass
class ImportReport:
    warnings: list[str] = field(default_factory=list)
    results: list[RowResult] = field(default_factory=list)

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.results if r.action is Action.REJECTED]

    def summary(self) -> str:
        counts = Counter(r.action for r in self.results)
        return ", ".join(f"{action} {counts[action]}" for action in Action)


# --- 1. Parsing -------------------------------------------------------------------------


def _column_name(raw: str) -> str:
    # "Site Description" and "site-description" are how people type "site_description".
    return "_".join(raw.strip().lower().replace("-", " ").split())


def parse(data: bytes) -> ParsedFile:
    """Rows of a CSV file; InventoryError when the file as a whole is unusable."""
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InventoryError(
            f"the file is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}): "
            f"{_UTF8_HINT}"
        ) from None
    if "\x00" in text:
        raise InventoryError(f"the file is not CSV (it contains NUL bytes): {_UTF8_HINT}")
    if not text.strip():
        raise InventoryError("the file is empty: the first line must be the header row")
    first_line = text.lstrip().split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count)
    # strict: a stray quote is an error, not a field that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header: list[str] = []
        for cells in reader:
            if any(c.strip() for c in cells):
                header = cells
                break
        columns = _check_header(header)
        rows = tuple(_rows(reader, columns))
    except csv.Error as exc:
        raise InventoryError(f"the file is not valid CSV (line {reader.line_num}: {exc})") from None
    known = tuple(c for c in columns if c in COLUMNS)
    unknown = tuple(
        c or f"(column {i} has no name)" for i, c in enumerate(columns, 1) if c not in COLUMNS
    )
    return ParsedFile(known, unknown, rows)


def _check_header(header: list[str]) -> list[str]:
    columns = [_column_name(c) for c in header]
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    if twice:
        raise InventoryError(f"column(s) named more than once in the header: {', '.join(twice)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InventoryError(
            f"missing required column(s): {', '.join(missing)}. The first line must be the "
            f"header row naming at least: {', '.join(REQUIRED_COLUMNS)}"
        )
    return columns


def _rows(reader: Any, columns: list[str]) -> Iterable[Row]:
    previous_end = reader.line_num
    for cells in reader:
        # A quoted field may span lines: a row starts right after the previous one ended.
        line, previous_end = previous_end + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        problem = ""
        extra = cells[len(columns) :]
        if len(cells) < len(columns) or any(c.strip() for c in extra):
            problem = f"the row has {len(cells)} fields, the header has {len(columns)}"
        values = {
            name: cell.strip()
            for name, cell in zip(columns, cells, strict=False)
            if name in COLUMNS
        }
        yield Row(line, values, problem)


# --- 2. Checking and saving -----------------------------------------------------------------


class _RowForm(UpsForm):
    """The admin's form minus the site, which the import resolves by name itself."""

    class Meta(UpsForm.Meta):
        fields = tuple(f for f in UpsForm.Meta.fields if f != "site")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # ISO only: the default formats also read 01/02/2024, as January in every locale.
        for name in _DATE_COLUMNS:
            date_field = self.fields[name]
            assert isinstance(date_field, forms.DateField)
            date_field.input_formats = ["%Y-%m-%d"]
            date_field.error_messages["invalid"] = "Enter the date as YYYY-MM-DD."


class _Rejected(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__(_join(reasons))
        self.reasons = reasons


def _join(reasons: list[str]) -> str:
    # "a: Enter x; b: Enter y.": Django's messages end with a period, which reads badly
    # before a semicolon.
    return "; ".join([r.removesuffix(".") for r in reasons[:-1]] + reasons[-1:])


@dataclass
class _Seen:
    """What earlier rows of the file claimed: a later row that contradicts it is rejected.

    Rows claim even when they are rejected themselves: the file is ambiguous either way.
    """

    endpoints: dict[tuple[str, int], int] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    site_values: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    def check(self, row: Row, port: int | None) -> list[str]:
        reasons = []
        host, name, site = row.get("host"), row.get("name"), row.get("site")
        if host and port is not None:
            first = self.endpoints.setdefault((host, port), row.line)
            if first != row.line:
                reasons.append(f"host/port: {host}:{port} is already used on line {first}")
        if name:
            first = self.names.setdefault(name, row.line)
            if first != row.line:
                reasons.append(f"name: {name} is already used on line {first}")
        for column in ("region", "site_description"):
            value = row.get(column)
            if site and value:
                earlier, first = self.site_values.setdefault((site, column), (value, row.line))
                if earlier != value:
                    reasons.append(f"{column}: line {first} gives site {site} a different {column}")
        return reasons


@dataclass
class _Plan:
    """A checked row, not saved yet."""

    ups: Ups
    site: Site
    new_region: Region | None
    action: Action
    site_changes: list[str]  # non-empty: the site is new or changed and must be saved
    ups_changes: list[str]

    @property
    def activates(self) -> bool:
        """Saving adds a UPS to the polled fleet: created enabled, or enabled again."""
        if not self.ups.enabled:
            return False
        return self.action is Action.CREATED or "enabled" in self.ups_changes

    def save(self) -> None:
        if self.new_region is not None:
            self.new_region.save()
            # Assigned again so that site.region_id picks up the new primary key.
            self.site.region = self.new_region
        if self.site_changes:
            self.site.save()
        self.ups.site = self.site
        self.ups.save()


def import_file(path: Path, *, dry_run: bool = False) -> ImportReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InventoryError(f"cannot read the file: {exc.strerror or exc}") from None
    return import_rows(parse(data), dry_run=dry_run)


def import_rows(parsed: ParsedFile, *, dry_run: bool = False) -> ImportReport:
    report = ImportReport()
    if parsed.unknown_columns:
        report.warnings.append(f"unknown column(s) ignored: {', '.join(parsed.unknown_columns)}")
    if not parsed.rows:
        report.warnings.append("the file has a header but no data rows")
    for warning in report.warnings:
        logger.warning("inventory import: %s", warning)
    seen = _Seen()
    with transaction.atomic():
        for row in parsed.rows:
            result = _import_row(row, seen)
            if result.action is Action.REJECTED:
                logger.warning("inventory import: %s", result.describe())
            report.results.append(result)
        if dry_run:
            transaction.set_rollback(True)
    logger.info("inventory import%s: %s", " (dry run)" if dry_run else "", report.summary())
    return report


def _import_row(row: Row, seen: _Seen) -> RowResult:
    try:
        with transaction.atomic():
            plan = _plan(row, seen)
            if plan.action is Action.UNCHANGED:
                return RowResult(row.line, plan.action, plan.ups.name)
            # Every UPS an import creates or enables passes this point before it is saved
            # (plan.activates). The licence limit was checked by the form (_plan) under
            # the licence row's lock, held until the import's transaction ends; the
            # model-level guard re-checks in save() and lands in the except below.
            plan.save()
    except _Rejected as exc:
        return _rejected(row, exc.reasons)
    except ValidationError as exc:
        return _rejected(row, exc.messages)
    except DatabaseError as exc:
        return _rejected(row, [f"the database refused the row: {exc}"])
    return RowResult(row.line, plan.action, plan.ups.name, _redact(_detail(plan), row.secrets))


def _rejected(row: Row, reasons: list[str]) -> RowResult:
    return RowResult(
        row.line, Action.REJECTED, row.get("name"), _redact(_join(reasons), row.secrets)
    )


def _redact(text: str, secrets: Iterable[str]) -> str:
    # Defence in depth: no message is known to quote a community, but a database driver's
    # might, and this output ends up in logs and tickets. Communities shorter than
    # _REDACT_MIN are not worth hiding and would blank out letters all over the message.
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _REDACT_MIN:
            text = text.replace(secret, "***")
    return text


def _detail(plan: _Plan) -> str:
    if plan.action is Action.CREATED:
        where = f"{plan.ups.host}:{plan.ups.port} at site {plan.site.name}"
        return ", ".join([where, *plan.site_changes])
    return "changed: " + ", ".join([*plan.ups_changes, *plan.site_changes])


def _port(cell: str) -> int | None:
    try:
        port = forms.IntegerField().clean(cell)
    except ValidationError:
        return None
    return int(port) if port is not None else None


def _plan(row: Row, seen: _Seen) -> _Plan:
    port = _port(row.get("port"))
    reasons = [row.problem] if row.problem else []
    reasons += seen.check(row, port)
    if reasons:
        raise _Rejected(reasons)

    site, new_region, site_changes, reasons = _site_of(row)
    ups = (
        Ups.objects.select_related("site").filter(host=row.get("host"), port=port).first()
        if port is not None
        else None
    ) or Ups()
    creating = ups.pk is None
    before = {name: getattr(ups, name) for name in UPS_COLUMNS}
    data, data_reasons = _form_data(row, ups)
    reasons += data_reasons
    form = _RowForm(data=data, instance=ups)
    if not form.is_valid():
        reasons += _form_reasons(form)
    if reasons:
        raise _Rejected(reasons)

    ups_changes = [name for name in UPS_COLUMNS if getattr(ups, name) != before[name]]
    if ups.site_id != site.pk:
        ups_changes.append("site")
    if creating:
        action = Action.CREATED
    elif ups_changes or site_changes:
        action = Action.UPDATED
    else:
        action = Action.UNCHANGED
    return _Plan(ups, site, new_region, action, site_changes, ups_changes)


def _site_of(row: Row) -> tuple[Site, Region | None, list[str], list[str]]:
    """The row's site (found, or new and unsaved) with the row's region and description
    applied; empty cells leave what is stored.

    Returns the site, the region to create (if any), what changes on the site, errors.
    """
    site_name = row.get("site")
    if not site_name:
        return Site(), None, [], ["site: This field is required."]
    changes: list[str] = []
    site = Site.objects.select_related("region").filter(name=site_name).first()
    if site is None:
        site = Site(name=site_name)
        changes.append(f"new site {site_name}")
    region: Region | None = None
    region_name = row.get("region")
    if region_name and (site.region is None or site.region.name != region_name):
        region = Region.objects.filter(name=region_name).first() or Region(name=region_name)
        site.region = region
        if site.pk is not None:
            changes.append(f"site {site_name} region")
        if region.pk is None:
            changes.append(f"new region {region_name}")
    description = row.get("site_description")
    if description and description != site.description:
        site.description = description
        if site.pk is not None:
            changes.append(f"site {site_name} description")
    errors = _model_errors(site, {"name": "site", "description": "site_description"}, {"region"})
    if region is not None and region.pk is None:
        errors += _model_errors(region, {"name": "region"}, set())
    new_region = region if region is not None and region.pk is None else None
    return site, new_region, changes, errors


def _model_errors(obj: Site | Region, columns: dict[str, str], exclude: set[str]) -> list[str]:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        return [
            f"{columns.get(name, name)}: {message}"
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return []


def _form_data(row: Row, ups: Ups) -> tuple[dict[str, Any], list[str]]:
    """Form data for `ups`: what is stored, with the row's non-empty cells on top.

    An empty optional cell leaves the stored value (on a new UPS: the default). Secrets
    always come from the row: the form keeps the stored one when they are empty.
    """
    editable = [n for n in _RowForm.base_fields if n not in SECRET_FIELDS]
    data: dict[str, Any] = model_to_dict(ups, fields=editable)
    reasons: list[str] = []
    for column in UPS_COLUMNS:
        cell = row.get(column)
        if column in SECRET_FIELDS or column in REQUIRED_COLUMNS:
            data[column] = cell
        elif not cell:
            continue
        elif column == "enabled":
            flag = cell.lower()
            if flag in _TRUE | _FALSE:
                data[column] = flag in _TRUE
            else:
                reasons.append("enabled: Enter yes or no (or true/false, 1/0).")
        else:
            data[column] = cell
    # "v2c", "V1": how the versions are often written.
    data["snmp_version"] = row.get("snmp_version").lower().removeprefix("v")
    return data, reasons


def _form_reasons(form: forms.BaseForm) -> list[str]:
    return [
        str(message) if name == NON_FIELD_ERRORS else f"{name}: {message}"
        for name, messages in form.errors.items()
        for message in messages
    ]
