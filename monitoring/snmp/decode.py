"""Turn a flat list of SNMP varbinds into a `Reading`, driven by a `Profile`. Pure: no I/O.

Values are plain Python, never pysnmp objects (client.py converts them), so tests can
write varbinds by hand and decode never depends on the SNMP stack:

- INTEGER, Counter32/64, Gauge32, Unsigned32, TimeTicks → `int`
- OCTET STRING, Opaque → `bytes`; IpAddress → `str` ("127.0.0.1")
- OBJECT IDENTIFIER → `tuple[int, ...]`
- noSuchObject / noSuchInstance / endOfMibView → the `SnmpException` members; Null → None

Field quirks handled here (ups-mib.md): scalars with or without `.0`, table cells as
`col.i` or `col.i.0`, missing objects → None (never 0), values of the wrong type → None
plus a note in `Reading.notes`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final

from monitoring.mib import Oid, dotted
from monitoring.profiles import (
    ALARM_KINDS,
    LINE_CLASSES,
    LINE_TABLES,
    NUM_LINES,
    FieldSpec,
    Kind,
    Profile,
    SensorSpec,
)
from monitoring.readings import Nominal, Reading, SensorSample


class SnmpException(Enum):
    """SNMPv2 exception values: the agent says "no such thing here"; decode → None."""

    NO_SUCH_OBJECT = "noSuchObject"
    NO_SUCH_INSTANCE = "noSuchInstance"
    END_OF_MIB_VIEW = "endOfMibView"


NO_SUCH_OBJECT: Final = SnmpException.NO_SUCH_OBJECT
NO_SUCH_INSTANCE: Final = SnmpException.NO_SUCH_INSTANCE
END_OF_MIB_VIEW: Final = SnmpException.END_OF_MIB_VIEW

Value = int | float | str | bytes | tuple[int, ...] | SnmpException | None
VarBind = tuple[Oid, Value]

#: A UPS with more lines than this is a broken agent (or a counter read as a count).
MAX_LINES: Final = 16

_MISSING: Final = object()


class _WrongType(Exception):
    """A value is present but unusable; the message becomes a Reading note."""


@dataclass(frozen=True, slots=True)
class _Compiled:
    """Lookup plan of one profile, computed once per profile object."""

    scalars: tuple[tuple[str, tuple[FieldSpec, ...]], ...]  # top-level + nominal fields
    num_lines: Mapping[str, tuple[FieldSpec, ...]]  # table → line-count rows
    columns: Mapping[str, tuple[tuple[str, tuple[FieldSpec, ...]], ...]]  # table → attrs
    alarms: tuple[FieldSpec, ...]


@functools.lru_cache(maxsize=256)
def _compile(profile: Profile) -> _Compiled:
    grouped: dict[str, list[FieldSpec]] = {}
    for spec in profile.fields:
        grouped.setdefault(spec.field, []).append(spec)
    scalars: list[tuple[str, tuple[FieldSpec, ...]]] = []
    num_lines: dict[str, tuple[FieldSpec, ...]] = {}
    columns: dict[str, list[tuple[str, tuple[FieldSpec, ...]]]] = {t: [] for t in LINE_TABLES}
    alarms: tuple[FieldSpec, ...] = ()
    for name, specs in grouped.items():
        table, _, attr = name.partition(".")
        if table in LINE_TABLES:
            if attr == NUM_LINES:
                num_lines[table] = tuple(specs)
            else:
                columns[table].append((attr, tuple(specs)))
        elif name == "alarms" or specs[0].kind in ALARM_KINDS:
            alarms = tuple(specs)
        else:
            scalars.append((name, tuple(specs)))
    return _Compiled(
        scalars=tuple(scalars),
        num_lines=num_lines,
        columns={t: tuple(c) for t, c in columns.items()},
        alarms=alarms,
    )


class _Index:
    """The varbinds, addressable as scalars (`oid.0` or bare `oid`) and as table rows."""

    __slots__ = ("exact", "rows")

    def __init__(self, varbinds: Iterable[VarBind]) -> None:
        self.exact: dict[Oid, Value] = {}
        self.rows: dict[Oid, dict[int, Value]] = {}
        stray: list[VarBind] = []
        for oid, value in varbinds:
            oid = tuple(oid)
            if not oid:
                continue
            self.exact[oid] = value
            self.rows.setdefault(oid[:-1], {})[oid[-1]] = value
            if oid[-1] == 0 and len(oid) > 2:
                stray.append((oid, value))
        # A stray `.0` after a table index (`upsOutputVoltage.1.0`) is a cell of row 1;
        # registered second so that a proper `col.1` always wins over `col.1.0`.
        for oid, value in stray:
            self.rows.setdefault(oid[:-2], {}).setdefault(oid[-2], value)

    def scalar(self, base: Oid) -> tuple[Oid, Any]:
        """(instance OID found, value); `oid.0` first, then the bare `oid`."""
        where = (*base, 0)
        value = self.exact.get(where, _MISSING)
        if value is _MISSING or isinstance(value, SnmpException):
            # Some cards answer scalars without the `.0` suffix (Delta, old CS121).
            alt = self.exact.get(base, _MISSING)
            if alt is not _MISSING:
                return base, alt
        return where, value

    def column(self, base: Oid) -> dict[int, Value]:
        return self.rows.get(base, {})


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _convert(spec: FieldSpec, value: Any, where: Oid) -> Any:
    """Raw value → field value; None for "not reported"; raises _WrongType."""
    if value is None or value is _MISSING or isinstance(value, SnmpException):
        return None
    kind = spec.kind
    if kind in (Kind.NUMBER, Kind.INTEGER, Kind.ENUM):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _WrongType(
                f"{spec.field}: {dotted(where)} is {_describe(value)}, expected a number"
            )
        if value in spec.sentinels:
            return None
        if spec.raw_range is not None and not spec.raw_range[0] <= value <= spec.raw_range[1]:
            return None
        if kind == Kind.ENUM:
            assert spec.enum is not None
            # A value mapped to None means "this object does not decide; ask the next
            # alternative" (MGE upsmgOutputOnBattery no(2) says nothing about bypass).
            if value in spec.enum:
                return spec.enum[value]
            raise _WrongType(f"{spec.field}: {dotted(where)} has unknown value {value}")
        if kind == Kind.INTEGER:
            if spec.scale == 1 and spec.offset == 0:
                return int(value)
            return round(value * spec.scale + spec.offset)
        # round(): 2301 x 0.1 is 230.10000000000002; six decimals are far below any
        # sensor's resolution and keep stored values and test expectations exact.
        return round(value * spec.scale + spec.offset, 6)
    if kind == Kind.STRING:
        if isinstance(value, bytes):
            text = value.decode("utf-8", errors="replace")
        elif isinstance(value, str):
            text = value
        else:
            raise _WrongType(
                f"{spec.field}: {dotted(where)} is {_describe(value)}, expected a string"
            )
        # Cards pad fixed-size fields with NULs or blanks; "" means "not set".
        text = text.strip("\x00 \t\r\n")
        return text or None
    if kind == Kind.FLAG:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _WrongType(
                f"{spec.field}: {dotted(where)} is {_describe(value)}, expected a number"
            )
        assert spec.enum is not None
        return spec.enum.get(value)  # values not in the map raise no alarm
    if kind == Kind.BITS:
        raise AssertionError("BITS rows are decoded by _bits")  # pragma: no cover
    if kind in (Kind.OID, Kind.ALARM):
        if not isinstance(value, tuple) or not all(isinstance(p, int) for p in value):
            raise _WrongType(
                f"{spec.field}: {dotted(where)} is {_describe(value)}, expected an OID"
            )
        if kind == Kind.OID:
            return dotted(value)
        assert spec.enum is not None
        name = spec.enum.get(value)
        return name if name is not None else dotted(value)
    raise AssertionError(f"unhandled kind {kind}")  # pragma: no cover


def _value(spec: FieldSpec, raw: Any, where: Oid, notes: list[str]) -> Any:
    """`_convert`, with a value of the wrong type noted and then treated as not reported."""
    try:
        return _convert(spec, raw, where)
    except _WrongType as exc:
        notes.append(str(exc))
        return None


def _first_scalar(specs: Sequence[FieldSpec], index: _Index, notes: list[str]) -> Any:
    """The first alternative that yields a value (profiles list them in priority order)."""
    for spec in specs:
        if spec.ignore:
            continue
        where, raw = index.scalar(spec.oid)
        result = _value(spec, raw, where, notes)
        if result is not None:
            return result
    return None


def _column(specs: Sequence[FieldSpec], index: _Index, notes: list[str]) -> dict[int, Any]:
    """line/row index → value, first alternative with a value winning per row."""
    merged: dict[int, Any] = {}
    for spec in specs:
        if spec.ignore:
            continue
        if spec.line:
            # A scalar that is one line of the table (XPPC R/S/T objects).
            if spec.line not in merged:
                where, raw = index.scalar(spec.oid)
                result = _value(spec, raw, where, notes)
                if result is not None:
                    merged[spec.line] = result
            continue
        base = (*spec.oid, *spec.index_prefix)
        for row, raw in index.column(base).items():
            if row in merged:
                continue
            result = _value(spec, raw, (*base, row), notes)
            if result is not None:
                merged[row] = result
    return merged


def _lines(table: str, compiled: _Compiled, index: _Index, notes: list[str]) -> tuple[Any, ...]:
    declared = _first_scalar(compiled.num_lines.get(table, ()), index, notes)
    cells: dict[str, dict[int, Any]] = {}
    present: set[int] = set()
    for attr, specs in compiled.columns[table]:
        values = _column(specs, index, notes)
        # Some cards index a single-phase row as .0 instead of .1 (Eaton, ups-mib.md).
        if 0 in values and 1 not in values:
            values[1] = values.pop(0)
        values.pop(0, None)
        cells[attr] = values
        present.update(values)
    if declared is not None and declared >= 0:
        count = declared
        beyond = sorted(row for row in present if row > count)
        if beyond:
            notes.append(f"{table}: rows {beyond} beyond the declared {count} line(s) were ignored")
    else:
        count = max(present, default=0)
        # Phantom phases: without a line count, trailing rows whose every value is zero
        # are padding of a single-phase card, not phases - but only when line 1 has
        # values (a three-phase input in a blackout reads zero on every phase).
        phantom = []
        live = any(values.get(1) for values in cells.values())
        while live and count > 1 and all(not values.get(count) for values in cells.values()):
            phantom.append(count)
            count -= 1
        if phantom:
            notes.append(f"{table}: all-zero rows {sorted(phantom)} are not phases")
    if count > MAX_LINES:
        notes.append(f"{table}: {count} lines is implausible; kept the first {MAX_LINES}")
        count = MAX_LINES
    cls = LINE_CLASSES[table]
    return tuple(
        cls(**{attr: values.get(line) for attr, values in cells.items()})
        for line in range(1, count + 1)
    )


def _alarms(specs: Sequence[FieldSpec], index: _Index, notes: list[str]) -> tuple[str, ...]:
    """Every row adds names (alarm table columns, yes/no flags, flag strings)."""
    names: dict[str, None] = {}  # ordered set: row order, no duplicates
    for spec in specs:
        if spec.ignore:
            continue
        if spec.kind == Kind.BITS:
            names.update(dict.fromkeys(_bits(spec, index, notes)))
            continue
        if spec.kind == Kind.FLAG:
            where, raw = index.scalar(spec.oid)
            name = _value(spec, raw, where, notes)
            if name is not None:
                names[name] = None
            continue
        column = index.column(spec.oid)
        for row in sorted(column):
            name = _value(spec, column[row], (*spec.oid, row), notes)
            if name is not None:
                names[name] = None
    return tuple(names)


def _bits(spec: FieldSpec, index: _Index, notes: list[str]) -> list[str]:
    """A "0101…" flag string (APC upsBasicStateOutputState): position n (1-based) set."""
    where, raw = index.scalar(spec.oid)
    if raw is _MISSING or raw is None or isinstance(raw, SnmpException):
        return []
    text = raw.decode("ascii", errors="replace") if isinstance(raw, bytes) else str(raw)
    text = text.strip()
    if not text or set(text) - {"0", "1"}:
        # "UNKNOWN" when the card has lost the UPS: no flags, but say so.
        notes.append(f"{spec.field}: {dotted(where)} is {_describe(text)}, not a flag string")
        return []
    assert spec.enum is not None
    return [name for pos, name in spec.enum.items() if pos <= len(text) and text[pos - 1] == "1"]


def _text(index: _Index, base: Oid | None, row: int | None = None) -> str | None:
    if base is None:
        return None
    if row is None:
        _where, raw = index.scalar(base)
    else:
        raw = index.column(base).get(row, _MISSING)
    if isinstance(raw, bytes):
        text = raw.decode("utf-8", errors="replace").strip("\x00 \t\r\n")
        return text or None
    return None


def _sensor_value(spec: SensorSpec, raw: Any) -> float | None:
    if raw is _MISSING or raw is None or isinstance(raw, SnmpException):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    if raw in spec.sentinels:
        return None
    if spec.on_values is not None:
        mapped = spec.on_values.get(int(raw))
        return None if mapped is None else float(mapped)
    return round(raw * spec.scale, 6)


def _sensors(specs: Sequence[SensorSpec], index: _Index) -> tuple[SensorSample, ...]:
    """Sensor channels the card answered; channels it does not have are left out."""
    samples: list[SensorSample] = []
    for spec in specs:
        if spec.column:
            column = index.column(spec.oid)
            for row in sorted(column):
                if spec.channels and row not in spec.channels:
                    continue
                value = _sensor_value(spec, column[row])
                if value is None:
                    continue
                samples.append(
                    SensorSample(
                        str(spec.kind),
                        row,
                        value,
                        _text(index, spec.name_oid, row),
                        _text(index, spec.unit_oid, row) or spec.unit or None,
                    )
                )
            continue
        _where, raw = index.scalar(spec.oid)
        value = _sensor_value(spec, raw)
        if value is None:
            continue
        samples.append(
            SensorSample(
                str(spec.kind),
                spec.channel,
                value,
                _text(index, spec.name_oid),
                _text(index, spec.unit_oid) or spec.unit or None,
            )
        )
    return tuple(samples)


def decode(
    varbinds: Iterable[VarBind],
    profile: Profile,
    *,
    sys_object_id: str | None = None,
    sys_uptime_s: float | None = None,
    notes: Iterable[str] = (),
) -> Reading:
    """Decode one poll's varbinds (any order, duplicates allowed) into a Reading.

    `sys_object_id`/`sys_uptime_s`, when given, win over the varbinds (a caller that read
    them separately). `notes` are prepended to the decode notes (e.g. "walk stopped: ...").
    """
    compiled = _compile(profile)
    index = _Index(varbinds)
    out_notes: list[str] = list(notes)
    top: dict[str, Any] = {}
    nominal: dict[str, Any] = {}
    for name, specs in compiled.scalars:
        value = _first_scalar(specs, index, out_notes)
        if value is None:
            continue
        if name.startswith("nominal."):
            nominal[name.removeprefix("nominal.")] = value
        else:
            top[name] = value
    if sys_object_id is not None:
        top["sys_object_id"] = sys_object_id
    if sys_uptime_s is not None:
        top["sys_uptime_s"] = sys_uptime_s
    return Reading(
        reachable=True,
        profile=profile.name,
        input=_lines("input", compiled, index, out_notes),
        output=_lines("output", compiled, index, out_notes),
        bypass=_lines("bypass", compiled, index, out_notes),
        alarms=_alarms(compiled.alarms, index, out_notes),
        nominal=Nominal(**nominal),
        sensors=_sensors(profile.sensors, index),
        notes=tuple(out_notes),
        **top,
    )
