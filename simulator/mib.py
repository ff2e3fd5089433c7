"""The value tree one simulated UPS serves: system group + RFC 1628 UPS-MIB.

`ups_values` maps a `UpsModel` to ``{oid: Value}`` in RFC 1628 units, applying the
MIB-shaping quirks (no_dot_zero, table_dot_zero, partial_mib, scale_x10). `MibTable`
keeps those values sorted and pre-encoded so that GET/GETNEXT/GETBULK are a dict lookup
or a bisect plus a bytes join; `refresh` re-encodes only the values that changed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from monitoring.snmp.ber import (
    Oid,
    Value,
    counter32,
    encode_varbind,
    gauge32,
    integer,
    object_id,
    octets,
    timeticks,
)
from simulator.model import LOW_BATTERY_MIN, NOMINAL_HZ, NOMINAL_VOLTS, UpsModel

SYS = (1, 3, 6, 1, 2, 1, 1)
SYS_DESCR = (*SYS, 1, 0)
SYS_OBJECT_ID = (*SYS, 2, 0)
SYS_UPTIME = (*SYS, 3, 0)
SYS_NAME = (*SYS, 5, 0)
# snmpSetSerialNo (SNMPv2-MIB): every real agent has it; it also sits after UPS-MIB, so a
# walk of 1.3.6.1.2.1.33 ends by leaving the subtree instead of hitting endOfMibView.
SNMP_SET_SERIAL_NO = (1, 3, 6, 1, 6, 3, 1, 1, 6, 1, 0)
UPS_MIB = (1, 3, 6, 1, 2, 1, 33)
UPS_OBJECTS = (*UPS_MIB, 1)
ALARM_DESCR_BASE = (*UPS_OBJECTS, 6, 3)  # well-known alarms .n
TEST_BASE = (*UPS_OBJECTS, 7, 7)  # well-known tests .n
TEST_ID = (*UPS_OBJECTS, 7, 1, 0)
TEST_SPINLOCK = (*UPS_OBJECTS, 7, 2, 0)


def u(*suffix: int) -> Oid:
    """An OID under upsObjects (1.3.6.1.2.1.33.1)."""
    return (*UPS_OBJECTS, *suffix)


# Objects a `partial_mib` card still serves (object OIDs, i.e. without .0/index):
# ident, battery status/runtime/charge, output source and per-line load.
PARTIAL_OBJECTS: frozenset[Oid] = frozenset(
    {u(1, n) for n in range(1, 7)} | {u(2, 1), u(2, 3), u(2, 4), u(4, 1), u(4, 4, 1, 5)}
)


class _Builder:
    """Collects values; scalars and table cells go through here so quirks apply uniformly."""

    def __init__(self, quirks: Iterable[str]) -> None:
        q = set(quirks)
        self.no_dot_zero = "no_dot_zero" in q
        self.table_dot_zero = "table_dot_zero" in q
        self.partial = "partial_mib" in q
        self.scale = 10 if "scale_x10" in q else 1
        self.values: dict[Oid, Value] = {}

    def scalar(self, obj: Oid, value: Value, *, scaled: bool = False) -> None:
        if self.partial and obj not in PARTIAL_OBJECTS:
            return
        if scaled and self.scale != 1:
            value = integer(int(value.value) * self.scale)  # type: ignore[arg-type]
        self.values[obj if self.no_dot_zero else (*obj, 0)] = value

    def cell(self, column: Oid, index: int, value: Value, *, scaled: bool = False) -> None:
        if self.partial and column not in PARTIAL_OBJECTS:
            return
        if scaled and self.scale != 1:
            value = integer(int(value.value) * self.scale)  # type: ignore[arg-type]
        name = (*column, index, 0) if self.table_dot_zero else (*column, index)
        self.values[name] = value


def system_values(
    model: UpsModel, sys_object_id: Oid, uptime_ticks: int, sys_name: str
) -> dict[Oid, Value]:
    r = model.rating
    return {
        SYS_DESCR: octets(f"{r.manufacturer} {r.model} (UNMS UPS simulator)"),
        SYS_OBJECT_ID: object_id(sys_object_id),
        SYS_UPTIME: timeticks(uptime_ticks & 0xFFFFFFFF),
        SYS_NAME: octets(sys_name),
        SNMP_SET_SERIAL_NO: integer(model.seed & 0x7FFFFFFF),
    }


def ups_values(model: UpsModel, quirks: Iterable[str] = ()) -> dict[Oid, Value]:
    """Every UPS-MIB object for the model's present state, in RFC 1628 units."""
    b = _Builder(quirks)
    r = model.rating
    lines = r.phases
    per_line_w = r.watts * model.output_load_pct / 100.0 / lines
    out_volts = NOMINAL_VOLTS if model.output_source != 2 else 0
    out_hz = NOMINAL_HZ if model.output_source != 2 else 0
    on_bypass = model.output_source == 4

    # ident 1.1-1.6
    b.scalar(u(1, 1), octets(r.manufacturer))
    b.scalar(u(1, 2), octets(r.model))
    b.scalar(u(1, 3), octets("UPS FW 2.14"))
    b.scalar(u(1, 4), octets("UNMS-SIM agent 1.0"))
    b.scalar(u(1, 5), octets(model.name))
    b.scalar(u(1, 6), octets("servers, switches"))
    # battery 2.1-2.7: runtime in minutes, voltage 0.1 V, current 0.1 A, temperature °C
    b.scalar(u(2, 1), integer(model.battery_status))
    b.scalar(u(2, 2), integer(int(model.seconds_on_battery)))
    b.scalar(u(2, 3), integer(int(model.runtime_min)))
    b.scalar(u(2, 4), integer(round(model.charge_pct)))
    b.scalar(u(2, 5), integer(round(model.battery_volts * 10)), scaled=True)
    b.scalar(u(2, 6), integer(round(model.battery_amps * 10)))
    b.scalar(u(2, 7), integer(round(model.battery_temp_c)))
    # input 3.1, 3.2, table 3.3.1.{1..5}.i: 0.1 Hz, V, 0.1 A, W
    b.scalar(u(3, 1), counter32(model.input_line_bads))
    b.scalar(u(3, 2), integer(lines))
    in_amps = 0.0 if not model.mains_ok else per_line_w / max(model.input_volts, 1.0) * 1.05
    for i in range(1, lines + 1):
        b.cell(u(3, 3, 1, 1), i, integer(i))
        b.cell(u(3, 3, 1, 2), i, integer(round(model.input_hz * 10)), scaled=True)
        b.cell(u(3, 3, 1, 3), i, integer(round(model.input_volts)), scaled=True)
        b.cell(u(3, 3, 1, 4), i, integer(round(in_amps * 10)))
        b.cell(u(3, 3, 1, 5), i, integer(round(in_amps * model.input_volts)))
    # output 4.1-4.3, table 4.4.1.{1..5}.i: 0.1 Hz, V, 0.1 A, W, %
    b.scalar(u(4, 1), integer(model.output_source))
    b.scalar(u(4, 2), integer(out_hz * 10), scaled=True)
    b.scalar(u(4, 3), integer(lines))
    out_amps = per_line_w / out_volts if out_volts else 0.0
    for i in range(1, lines + 1):
        b.cell(u(4, 4, 1, 1), i, integer(i))
        b.cell(u(4, 4, 1, 2), i, integer(out_volts), scaled=True)
        b.cell(u(4, 4, 1, 3), i, integer(round(out_amps * 10)))
        b.cell(u(4, 4, 1, 4), i, integer(round(per_line_w)))
        b.cell(u(4, 4, 1, 5), i, integer(round(model.output_load_pct)))
    # bypass 5.1, 5.2, table 5.3.1.{1..4}.i: follows the input
    b.scalar(u(5, 1), integer(round(model.input_hz * 10)), scaled=True)
    b.scalar(u(5, 2), integer(lines))
    for i in range(1, lines + 1):
        b.cell(u(5, 3, 1, 1), i, integer(i))
        b.cell(u(5, 3, 1, 2), i, integer(round(model.input_volts)), scaled=True)
        b.cell(u(5, 3, 1, 3), i, integer(round(out_amps * 10) if on_bypass else 0))
        b.cell(u(5, 3, 1, 4), i, integer(round(per_line_w) if on_bypass else 0))
    # alarm 6.1, table 6.2.1.{1,2,3}.id
    b.scalar(u(6, 1), gauge32(len(model.alarms)))
    for entry in sorted(model.alarms.values(), key=lambda e: e.alarm_id):
        b.cell(u(6, 2, 1, 1), entry.alarm_id, integer(entry.alarm_id))
        b.cell(u(6, 2, 1, 2), entry.alarm_id, object_id((*ALARM_DESCR_BASE, entry.descr)))
        b.cell(u(6, 2, 1, 3), entry.alarm_id, timeticks(entry.time_ticks & 0xFFFFFFFF))
    # test 7.1-7.6
    b.scalar(u(7, 1), object_id((*TEST_BASE, model.test_id)))
    b.scalar(u(7, 2), integer(model.test_spinlock))
    b.scalar(u(7, 3), integer(model.test_summary))
    b.scalar(u(7, 4), octets(model.test_detail))
    b.scalar(u(7, 5), timeticks(model.test_start_ticks & 0xFFFFFFFF))
    b.scalar(u(7, 6), integer(int(model.test_elapsed_s)))
    # control 8.1-8.5: nothing pending (-1 = no countdown), autoRestart on(1)
    b.scalar(u(8, 1), integer(1))
    b.scalar(u(8, 2), integer(-1))
    b.scalar(u(8, 3), integer(-1))
    b.scalar(u(8, 4), integer(-1))
    b.scalar(u(8, 5), integer(1))
    # config 9.1-9.10: nominal values; V, 0.1 Hz, VA, W, minutes, enabled(2), V
    b.scalar(u(9, 1), integer(NOMINAL_VOLTS))
    b.scalar(u(9, 2), integer(NOMINAL_HZ * 10))
    b.scalar(u(9, 3), integer(NOMINAL_VOLTS))
    b.scalar(u(9, 4), integer(NOMINAL_HZ * 10))
    b.scalar(u(9, 5), integer(r.va))
    b.scalar(u(9, 6), integer(r.watts))
    b.scalar(u(9, 7), integer(LOW_BATTERY_MIN))
    b.scalar(u(9, 8), integer(2))
    b.scalar(u(9, 9), integer(160))
    b.scalar(u(9, 10), integer(276))
    return b.values


class MibTable:
    """Sorted, pre-encoded view of one agent's values.

    ``oids`` is sorted (tuple order is SNMP lexicographic order, shorter prefix first), and
    ``encoded[i]`` is the complete varbind TLV for ``oids[i]``.
    """

    __slots__ = ("bases", "encoded", "index", "oids", "values")

    def __init__(self) -> None:
        self.oids: list[Oid] = []
        self.encoded: list[bytes] = []
        self.values: list[Value] = []
        self.index: dict[Oid, int] = {}
        self.bases: frozenset[Oid] = frozenset()

    def refresh(self, values: dict[Oid, Value]) -> None:
        """Install new values; re-encode only those that changed (cheap once a second)."""
        if values.keys() == self.index.keys():
            for name, value in values.items():
                i = self.index[name]
                if self.values[i] != value:
                    self.values[i] = value
                    self.encoded[i] = encode_varbind(name, value)
            return
        self.oids = sorted(values)
        self.values = [values[o] for o in self.oids]
        self.encoded = [encode_varbind(o, v) for o, v in zip(self.oids, self.values, strict=True)]
        self.index = {o: i for i, o in enumerate(self.oids)}
        # "Object" OIDs (instance stripped) decide noSuchInstance vs noSuchObject.
        self.bases = frozenset(o[:-1] for o in self.oids) | frozenset(o[:-2] for o in self.oids)

    def get(self, name: Oid) -> int | None:
        return self.index.get(name)

    def next_index(self, name: Oid) -> int:
        """Index of the first OID strictly after `name` (== len when past the end)."""
        return bisect_right(self.oids, name)

    def is_known_object(self, name: Oid) -> bool:
        return name[:-1] in self.bases
