"""Data-driven SNMP profiles: which OID feeds which `Reading` field, and how to scale it.

A `Profile` is a name plus a table of `FieldSpec` rows. Scaling lives in the rows, never
in code branches (ups-mib.md: x10/÷10 errors are the most common bug report in peer
tools), and any row can be overridden per UPS with `apply_overrides`. Vendor profiles
(APC, Eaton, ...) are more rows in the same shape.

Field names are `Reading` attribute paths:
- top-level attributes: `"charge_pct"`, `"runtime_remaining_s"`, `"alarms"`, ...
- line tables: `"input.voltage_v"`, `"output.load_pct"`, `"bypass.current_a"`; the row
  index of the OID is the line number. `"input.num_lines"` (and output/bypass) is the
  line-count object, used by decode to size the tuple of lines.
- nominal values: `"nominal.output_voltage_v"`, ...

Several rows for the same field are alternatives in priority order: the first one that
yields a usable value wins (e.g. APC high-precision object, then the integer one).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from monitoring import mib
from monitoring.mib import Oid
from monitoring.readings import BypassLine, InputLine, Nominal, OutputLine, Reading


class Kind(StrEnum):
    """How the raw value of a row is interpreted."""

    NUMBER = "number"  # int → raw x scale + offset, as float
    INTEGER = "integer"  # int → int (counters: no scaling makes sense)
    ENUM = "enum"  # int → enum member through FieldSpec.enum
    STRING = "string"  # OCTET STRING → str
    OID = "oid"  # OBJECT IDENTIFIER → dotted str
    ALARM = "alarm"  # column of OIDs → alarm names through FieldSpec.enum (unknown: dotted)
    # Vendor alarm sources (field "alarms" only; every row contributes, none "wins"):
    FLAG = "flag"  # scalar int → alarm name through FieldSpec.enum ({1: "LowBattery"})
    BITS = "bits"  # "0101…" string → alarm names through enum {char position (1-based): name}


#: Kinds that feed the "alarms" field: each row adds names, rows never replace each other.
ALARM_KINDS = frozenset({Kind.ALARM, Kind.FLAG, Kind.BITS})

LINE_TABLES = ("input", "output", "bypass")
LINE_CLASSES: Mapping[str, type] = {"input": InputLine, "output": OutputLine, "bypass": BypassLine}
NUM_LINES = "num_lines"


def _known_fields() -> frozenset[str]:
    names: set[str] = set()
    skip = {"reachable", "error", "profile", "notes", "nominal", *LINE_TABLES}
    skip |= {"profile_reason", "suspicious", "sensors"}  # set by detection/sanity/sensors
    names.update(f.name for f in dataclasses.fields(Reading) if f.name not in skip)
    names.update(f"nominal.{f.name}" for f in dataclasses.fields(Nominal))
    for table, cls in LINE_CLASSES.items():
        names.update(f"{table}.{f.name}" for f in dataclasses.fields(cls))
        names.add(f"{table}.{NUM_LINES}")
    return frozenset(names)


#: Every field path a FieldSpec may address.
KNOWN_FIELDS: frozenset[str] = _known_fields()


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One row of a profile: where a Reading field comes from and how to convert it.

    `oid` is the object without instance suffix: decode accepts both `oid.0` and `oid`
    for scalars, and `oid.<index_prefix>.<line>` (optionally with a stray `.0`) for table
    fields. `sentinels` are raw values the agent uses for "unknown" (e.g. -1, 65535):
    they decode to None, before scaling.
    """

    field: str
    oid: Oid
    kind: Kind = Kind.NUMBER
    scale: float = 1.0
    offset: float = 0.0
    unit: str = ""
    enum: Mapping[Any, str] | None = None
    sentinels: frozenset[int] = frozenset()
    index_prefix: Oid = ()
    ignore: bool = False
    # Raw values outside [low, high] mean "unknown" like a sentinel, so the next
    # alternative is tried (APC: the high-precision charge is dropped when negative).
    raw_range: tuple[float, float] | None = None
    # A scalar that feeds one row of a line table (XPPC 3-phase R/S/T objects): `line`
    # is the line number; 0 for real table columns.
    line: int = 0

    def __post_init__(self) -> None:
        if self.field not in KNOWN_FIELDS:
            raise ValueError(f"unknown field {self.field!r}")
        if self.kind in (Kind.ENUM, Kind.ALARM, Kind.FLAG, Kind.BITS) and self.enum is None:
            raise ValueError(f"{self.field}: kind {self.kind} needs an enum map")
        if self.index_prefix and self.table is None:
            raise ValueError(f"{self.field}: index_prefix is only for line-table fields")
        if self.kind in ALARM_KINDS and self.field != "alarms":
            raise ValueError(f"{self.field}: kind {self.kind} only feeds the alarms field")

    @property
    def table(self) -> str | None:
        """ "input"/"output"/"bypass" for line-table fields (a column), else None."""
        head, _, _ = self.field.partition(".")
        return head if head in LINE_TABLES else None

    @property
    def is_column(self) -> bool:
        # Line-count objects are scalars even though they are named "input.num_lines";
        # the alarm table is a column indexed by alarm id.
        return (self.table is not None and not self.field.endswith(NUM_LINES)) or (
            self.kind == Kind.ALARM
        )


class SensorKind(StrEnum):
    """What a sensor point on a UPS's card measures or switches."""

    TEMPERATURE = "temperature"
    HUMIDITY = "humidity"
    ANALOG = "analog"  # 0-10 V (or 4-20 mA) input; the admin gives name, unit, scale
    DIGITAL_IN = "digital_in"  # door contact, smoke, water: 0/1 against a normal state
    DIGITAL_OUT = "digital_out"  # a relay (flashing light): shown with its state


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """Where a card publishes one sensor channel (or a column of channels).

    `oid` is the value column when `column` is true (instances `.N` are channels N),
    else the scalar of channel `channel`. `scale` turns the raw value into the card's
    unit (Generex 0.1, CyberPower 0.1 °C). `on_values` maps raw → 0/1 for digital points
    whose card does not use 0/1 (XPPC water/smoke: 1 normal, 2 abnormal).
    `name_oid`/`unit_oid` are columns with the card's own label and unit text.
    """

    kind: SensorKind
    oid: Oid
    channel: int = 1
    column: bool = False
    channels: tuple[int, ...] = ()  # which instances of a column are this kind (empty: all)
    scale: float = 1.0
    unit: str = ""
    sentinels: frozenset[int] = frozenset()
    on_values: Mapping[int, int] | None = None
    name_oid: Oid | None = None
    unit_oid: Oid | None = None


# eq=False: identity equality and hashing, so decode can cache a compiled lookup per
# profile object (apply_overrides makes a new object whenever something changes).
@dataclass(frozen=True, slots=True, eq=False)
class Profile:
    """A named table of FieldSpecs plus what the poller has to fetch for it.

    `walk_roots` are walked with GETBULK (v2c); `v1_walk_roots` with GETNEXT, one varbind
    per root in each PDU, so v1 needs as many round trips as the longest group, not as
    the whole MIB. `scalars` are GETNEXT'ed once as non-repeaters (sysObjectID, sysUpTime).
    """

    name: str
    fields: tuple[FieldSpec, ...]
    walk_roots: tuple[Oid, ...]
    v1_walk_roots: tuple[Oid, ...]
    scalars: tuple[Oid, ...] = (mib.SYS_OBJECT_ID, mib.SYS_UPTIME)
    description: str = ""
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    sensors: tuple[SensorSpec, ...] = ()
    vendor: str = ""  # who makes the cards this profile is for ("APC", "Eaton", ...)

    @property
    def field_names(self) -> frozenset[str]:
        return frozenset(spec.field for spec in self.fields)


def _s(field_name: str, base: Oid, kind: Kind = Kind.NUMBER, **kwargs: Any) -> FieldSpec:
    return FieldSpec(field_name, base, kind, **kwargs)


_RFC1628_FIELDS: tuple[FieldSpec, ...] = (
    _s("sys_object_id", mib.SYS_OBJECT_ID, Kind.OID),
    _s("sys_uptime_s", mib.SYS_UPTIME, scale=0.01, unit="s"),  # TimeTicks: 1/100 s
    # ident
    _s("manufacturer", mib.UPS_IDENT_MANUFACTURER, Kind.STRING),
    _s("model", mib.UPS_IDENT_MODEL, Kind.STRING),
    _s("ups_software_version", mib.UPS_IDENT_UPS_SOFTWARE_VERSION, Kind.STRING),
    _s("agent_software_version", mib.UPS_IDENT_AGENT_SOFTWARE_VERSION, Kind.STRING),
    _s("ident_name", mib.UPS_IDENT_NAME, Kind.STRING),
    # battery
    _s("battery_status", mib.UPS_BATTERY_STATUS, Kind.ENUM, enum=mib.BATTERY_STATUS),
    _s("seconds_on_battery", mib.UPS_SECONDS_ON_BATTERY, unit="s"),
    _s("runtime_remaining_s", mib.UPS_ESTIMATED_MINUTES_REMAINING, scale=60, unit="s"),
    _s("charge_pct", mib.UPS_ESTIMATED_CHARGE_REMAINING, unit="%"),
    _s("battery_voltage_v", mib.UPS_BATTERY_VOLTAGE, scale=0.1, unit="V"),
    _s("battery_current_a", mib.UPS_BATTERY_CURRENT, scale=0.1, unit="A"),
    _s("battery_temperature_c", mib.UPS_BATTERY_TEMPERATURE, unit="°C"),
    # input
    _s("input_line_bads", mib.UPS_INPUT_LINE_BADS, Kind.INTEGER),
    _s("input.num_lines", mib.UPS_INPUT_NUM_LINES, Kind.INTEGER),
    _s("input.frequency_hz", mib.UPS_INPUT_FREQUENCY, scale=0.1, unit="Hz"),
    _s("input.voltage_v", mib.UPS_INPUT_VOLTAGE, unit="V"),
    _s("input.current_a", mib.UPS_INPUT_CURRENT, scale=0.1, unit="A"),
    _s("input.power_w", mib.UPS_INPUT_TRUE_POWER, unit="W"),
    # output
    _s("output_source", mib.UPS_OUTPUT_SOURCE, Kind.ENUM, enum=mib.OUTPUT_SOURCE),
    _s("output_frequency_hz", mib.UPS_OUTPUT_FREQUENCY, scale=0.1, unit="Hz"),
    _s("output.num_lines", mib.UPS_OUTPUT_NUM_LINES, Kind.INTEGER),
    _s("output.voltage_v", mib.UPS_OUTPUT_VOLTAGE, unit="V"),
    _s("output.current_a", mib.UPS_OUTPUT_CURRENT, scale=0.1, unit="A"),
    _s("output.power_w", mib.UPS_OUTPUT_POWER, unit="W"),
    _s("output.load_pct", mib.UPS_OUTPUT_PERCENT_LOAD, unit="%"),
    # bypass
    _s("bypass_frequency_hz", mib.UPS_BYPASS_FREQUENCY, scale=0.1, unit="Hz"),
    _s("bypass.num_lines", mib.UPS_BYPASS_NUM_LINES, Kind.INTEGER),
    _s("bypass.voltage_v", mib.UPS_BYPASS_VOLTAGE, unit="V"),
    _s("bypass.current_a", mib.UPS_BYPASS_CURRENT, scale=0.1, unit="A"),
    _s("bypass.power_w", mib.UPS_BYPASS_POWER, unit="W"),
    # alarms
    _s("alarms", mib.UPS_ALARM_DESCR, Kind.ALARM, enum=mib.WELL_KNOWN_ALARMS),
    # test
    _s("test_result", mib.UPS_TEST_RESULTS_SUMMARY, Kind.ENUM, enum=mib.TEST_RESULT),
    _s("test_detail", mib.UPS_TEST_RESULTS_DETAIL, Kind.STRING),
    # config
    _s("nominal.input_voltage_v", mib.UPS_CONFIG_INPUT_VOLTAGE, unit="V"),
    _s("nominal.input_frequency_hz", mib.UPS_CONFIG_INPUT_FREQ, scale=0.1, unit="Hz"),
    _s("nominal.output_voltage_v", mib.UPS_CONFIG_OUTPUT_VOLTAGE, unit="V"),
    _s("nominal.output_frequency_hz", mib.UPS_CONFIG_OUTPUT_FREQ, scale=0.1, unit="Hz"),
    _s("nominal.output_va", mib.UPS_CONFIG_OUTPUT_VA, unit="VA"),
    _s("nominal.output_power_w", mib.UPS_CONFIG_OUTPUT_POWER, unit="W"),
    _s("nominal.low_battery_time_s", mib.UPS_CONFIG_LOW_BATT_TIME, scale=60, unit="s"),
)

RFC1628 = Profile(
    name="rfc1628",
    description="UPS-MIB (RFC 1628), the standard every card speaks at least in part",
    fields=_RFC1628_FIELDS,
    walk_roots=(mib.UPS_OBJECTS,),
    v1_walk_roots=mib.UPS_GROUPS,
)

#: Registry of profiles by name. Vendor profiles (monitoring/vendor_profiles/) register
#: here on first use of the registry: they import this module, so it cannot import them.
PROFILES: dict[str, Profile] = {RFC1628.name: RFC1628}
DEFAULT_PROFILE = RFC1628.name
_vendors_loaded = False


def load_vendor_profiles() -> dict[str, Profile]:
    """Register every vendor profile once; returns the registry."""
    global _vendors_loaded
    if not _vendors_loaded:
        _vendors_loaded = True
        from monitoring import vendor_profiles

        for profile in vendor_profiles.ALL:
            PROFILES.setdefault(profile.name, profile)
    return PROFILES


def profile_names() -> list[str]:
    """Every registered name, the default first (forms, error messages)."""
    load_vendor_profiles()
    return [DEFAULT_PROFILE, *sorted(n for n in PROFILES if n != DEFAULT_PROFILE)]


def get_profile(name: str | None) -> Profile:
    """The profile called `name` (None/"" → the RFC 1628 default); KeyError if unknown."""
    if not name:
        return PROFILES[DEFAULT_PROFILE]
    load_vendor_profiles()
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(profile_names())
        raise KeyError(f"unknown SNMP profile {name!r} (known: {known})") from None


def register(profile: Profile) -> Profile:
    if profile.name in PROFILES:
        raise ValueError(f"profile {profile.name!r} is already registered")
    PROFILES[profile.name] = profile
    return profile


_OVERRIDE_KEYS = ("scale", "offset", "unit", "ignore")

# Units an override may declare for the value after scale/offset, per canonical unit of
# a field: (factor, addend) so that canonical = value x factor + addend. All conversions
# are linear, so apply_overrides folds them into the row's scale and offset.
UNIT_CONVERSIONS: Mapping[str, Mapping[str, tuple[float, float]]] = {
    "s": {"s": (1, 0), "min": (60, 0), "h": (3600, 0), "cs": (0.01, 0)},  # cs: TimeTicks
    "°C": {"°C": (1, 0), "°F": (5 / 9, -32 * 5 / 9), "K": (1, -273.15)},
    "V": {"V": (1, 0), "dV": (0.1, 0), "mV": (0.001, 0), "kV": (1000, 0)},
    "A": {"A": (1, 0), "dA": (0.1, 0), "mA": (0.001, 0)},
    "Hz": {"Hz": (1, 0), "dHz": (0.1, 0)},
    "W": {"W": (1, 0), "kW": (1000, 0)},
    "VA": {"VA": (1, 0), "kVA": (1000, 0)},
    "%": {"%": (1, 0), "‰": (0.1, 0)},
}


def _field_unit(profile: Profile, field_name: str) -> str:
    for spec in profile.fields:
        if spec.field == field_name and spec.unit:
            return spec.unit
    return ""


def _number(field_name: str, key: str, value: object) -> float:
    # bool is an int subclass: `{"scale": True}` is a form bug, not a scale of 1.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{field_name}: {key} must be a number, not {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{field_name}: {key} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{field_name}: {key} must be a finite number, not {value!r}")
    if key == "scale" and number == 0:
        raise ValueError(f"{field_name}: scale must not be 0")
    return number


def validate_overrides(
    profile: Profile, overrides: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, dict[str, Any]]:
    """Checked and normalised copy of per-UPS overrides; ValueError says what is wrong.

    Shape: `{"runtime_remaining_s": {"scale": 1}, "input.voltage_v": {"scale": 0.1,
    "offset": 0}, "battery_temperature_c": {"ignore": True}}`. Numbers may be given as
    strings ("0.1") because admin forms post strings.
    """
    if not overrides:
        return {}
    if not isinstance(overrides, Mapping):
        raise ValueError("overrides must be a mapping of field name → settings")
    clean: dict[str, dict[str, Any]] = {}
    known = profile.field_names
    for field_name, settings in overrides.items():
        if field_name not in known:
            raise ValueError(
                f"unknown field {field_name!r} for profile {profile.name!r}; "
                f"known fields: {', '.join(sorted(known))}"
            )
        if not isinstance(settings, Mapping):
            raise ValueError(f"{field_name}: settings must be a mapping, not {settings!r}")
        unknown = set(settings) - set(_OVERRIDE_KEYS)
        if unknown:
            raise ValueError(
                f"{field_name}: unknown setting(s) {', '.join(sorted(map(str, unknown)))}; "
                f"allowed: {', '.join(_OVERRIDE_KEYS)}"
            )
        entry: dict[str, Any] = {}
        for key in ("scale", "offset"):
            if key in settings:
                entry[key] = _number(field_name, key, settings[key])
        if "unit" in settings and settings["unit"] not in ("", None):
            canonical = _field_unit(profile, field_name)
            allowed = UNIT_CONVERSIONS.get(canonical, {})
            if settings["unit"] not in allowed:
                choices = ", ".join(allowed) or f"none: {field_name} has no convertible unit"
                raise ValueError(
                    f"{field_name}: unit {settings['unit']!r} is not known; allowed: {choices}"
                )
            entry["unit"] = settings["unit"]
        if "ignore" in settings:
            if not isinstance(settings["ignore"], bool):
                raise ValueError(f"{field_name}: ignore must be true or false")
            entry["ignore"] = settings["ignore"]
        clean[field_name] = entry
    return clean


def apply_overrides(profile: Profile, overrides: Mapping[str, Mapping[str, Any]] | None) -> Profile:
    """A copy of `profile` with per-UPS overrides merged into its rows.

    `scale`/`offset` replace the profile's value (what the admin types is what is used,
    not a factor on top of a factor); `unit` says which unit value x scale + offset is in
    (e.g. "min" for a runtime in minutes, "°F"), converted to the field's canonical unit;
    `ignore: true` makes the field decode to None. An override applies to every row of
    that field (all alternatives).
    """
    clean = validate_overrides(profile, overrides)
    if not clean:
        return profile
    rows = tuple(
        _override_row(spec, clean[spec.field]) if spec.field in clean else spec
        for spec in profile.fields
    )
    merged = {**profile.overrides, **clean}
    return dataclasses.replace(profile, fields=rows, overrides=merged)


def _override_row(spec: FieldSpec, entry: Mapping[str, Any]) -> FieldSpec:
    changes = {k: v for k, v in entry.items() if k != "unit"}
    row = dataclasses.replace(spec, **changes)
    unit = entry.get("unit")
    if unit and spec.unit:
        factor, addend = UNIT_CONVERSIONS[spec.unit][unit]
        row = dataclasses.replace(
            row, scale=row.scale * factor, offset=row.offset * factor + addend
        )
    return row


def fields_by_name(specs: Iterable[FieldSpec]) -> dict[str, list[FieldSpec]]:
    grouped: dict[str, list[FieldSpec]] = {}
    for spec in specs:
        grouped.setdefault(spec.field, []).append(spec)
    return grouped
