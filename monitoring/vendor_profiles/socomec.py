"""Socomec NetVision (vendor-mibs.md §5): two incompatible branches.

NV5 base 1.3.6.1.4.1.4555.1.1.1.1, NV7 base 1.3.6.1.4.1.4555.1.1.7.1: different enum
numbering, so two profiles. Neither output-source enum has "on battery": the
upsAlarmOnBattery flag decides it. Runtime in minutes; -1/65535 mean "not available",
and 0 from a temperature object means "no sensor".
"""

from __future__ import annotations

from monitoring.choices import BatteryStatus as B
from monitoring.choices import OutputSource as O
from monitoring.choices import TestResult as T
from monitoring.mib import oid
from monitoring.profiles import RFC1628, Kind, Profile, SensorKind, SensorSpec
from monitoring.vendor_profiles.base import DetectRule, added, on_battery, removed, s, traps

S5 = oid("1.3.6.1.4.1.4555.1.1.1.1")
S7 = oid("1.3.6.1.4.1.4555.1.1.7.1")

NA = frozenset({-1, 65535})  # "not available" (CEN)
NO_SENSOR = frozenset({0, -1, 65535})


def s5(*suffix: int) -> tuple[int, ...]:
    return (*S5, *suffix)


def s7(*suffix: int) -> tuple[int, ...]:
    return (*S7, *suffix)


# NV5 alarm flags S5.6.3.n (0/1) follow the RFC 1628 well-known alarm numbering for the
# ones the MIB shares with it (1 batteryBad, 2 onBattery, 3 lowBattery, 8 outputOverload,
# 9 onBypass, 18 generalFault, 19 diagTestFailed, 20 commLost).
NV5_FLAGS = {
    1: "BatteryBad",
    2: "OnBattery",
    3: "LowBattery",
    4: "DepletedBattery",
    5: "TempBad",
    8: "OutputOverload",
    9: "OnBypass",
    18: "GeneralFault",
    19: "DiagnosticTestFailed",
    20: "CommunicationsLost",
}

NV5_FIELDS = (
    *RFC1628.fields[:2],
    s(
        "battery_status",
        s5(2, 1),
        Kind.ENUM,
        enum={
            1: B.UNKNOWN,
            2: B.NORMAL,
            3: B.LOW,
            4: B.DEPLETED,
            5: B.NORMAL,
            6: B.UNKNOWN,
            7: B.UNKNOWN,
        },
    ),
    s("seconds_on_battery", s5(2, 2), unit="s", sentinels=NA),  # -1 when on mains
    s("runtime_remaining_s", s5(2, 3), scale=60, unit="s", sentinels=NA),
    s("charge_pct", s5(2, 4), unit="%", sentinels=NA),
    s("battery_voltage_v", s5(2, 5), scale=0.1, unit="V", sentinels=NA),
    # The NV5 MIB does not state the unit; °C as on every other Socomec object.
    s("battery_temperature_c", s5(2, 6), unit="°C", sentinels=NO_SENSOR),
    s("input.frequency_hz", s5(3, 2), scale=0.1, unit="Hz", sentinels=NA),
    # Column 2 is the voltage by the MIB; NUT reads column 5 (VoltageMin).
    s("input.voltage_v", s5(3, 3, 1, 2), scale=0.1, unit="V", sentinels=NA),
    s("input.current_a", s5(3, 3, 1, 3), scale=0.1, unit="A", sentinels=NA),
    s("output_source", s5(6, 3, 2), Kind.ENUM, enum={1: O.BATTERY, 0: None}),
    s(
        "output_source",
        s5(4, 1),
        Kind.ENUM,
        enum={
            1: O.OTHER,
            2: O.NORMAL,
            3: O.NORMAL,
            4: O.NORMAL,
            5: O.BYPASS,
            6: O.NONE,
            7: O.BYPASS,
            8: O.NONE,
            9: O.NORMAL,
        },
    ),
    s("output_frequency_hz", s5(4, 2), scale=0.1, unit="Hz", sentinels=NA),
    s("output.voltage_v", s5(4, 4, 1, 2), scale=0.1, unit="V", sentinels=NA),
    s("output.current_a", s5(4, 4, 1, 3), scale=0.1, unit="A", sentinels=NA),
    s("output.load_pct", s5(4, 4, 1, 4), unit="%", sentinels=NA),
    s("bypass_frequency_hz", s5(5, 1), scale=0.1, unit="Hz", sentinels=NA),
    s("bypass.voltage_v", s5(5, 3, 1, 2), scale=0.1, unit="V", sentinels=NA),
    s("bypass.current_a", s5(5, 3, 1, 3), scale=0.1, unit="A", sentinels=NA),
    *(s("alarms", s5(6, 3, n), Kind.FLAG, enum={1: name}) for n, name in NV5_FLAGS.items()),
    s("alarms", s5(2, 1), Kind.FLAG, enum={6: "BatteryBad", 7: "BatteryBad"}),
    s(
        "test_result",
        s5(7, 3),
        Kind.ENUM,
        enum={1: T.NO_TESTS_INITIATED, 2: T.IN_PROGRESS, 3: T.ABORTED, 4: T.DONE_ERROR},
    ),
)

NV5 = Profile(
    name="socomec_nv5",
    vendor="Socomec",
    description="Socomec NetVision 5 (SOCOMECUPS-MIB, 4555.1.1.1)",
    fields=NV5_FIELDS,
    walk_roots=(s5(2), s5(3), s5(4), s5(5), s5(6, 3), s5(7, 3), s5(11)),
    v1_walk_roots=(s5(2), s5(3), s5(4), s5(5), s5(6, 3), s5(7, 3), s5(11)),
    sensors=(
        SensorSpec(SensorKind.TEMPERATURE, s5(11, 1), scale=0.1, unit="°C"),  # EMD
        SensorSpec(SensorKind.HUMIDITY, s5(11, 2), scale=0.1, unit="%"),
    ),
)

NV5_DETECT = DetectRule(
    profile="socomec_nv5",
    sys_object_ids=("1.3.6.1.4.1.4555.1.1.1",),
    signature=(s5(2, 1), s5(2, 4), s5(4, 1)),
    priority=30,
)

NV5_TRAPS = traps(
    "1.3.6.1.4.1.4555.1.1.1.2",
    {
        1: on_battery(),
        7: on_battery(),
        9: removed("OnBattery"),
        14: removed("OnBattery"),  # onMains
        8: added("LowBattery"),
        6: added("DiagnosticTestFailed"),
        13: added("OutputOverload"),
    },
)

NV7_FLAGS = {
    1: "ShutdownImminent",
    2: "OutputOverload",
    3: "TempBad",
    11: "GeneralFault",
    14: "LowBattery",
    15: "OnBattery",
    18: "TestInProgress",
    19: "BatteryBad",
    55: "OnBypass",
    58: "CommunicationsLost",
}

NV7_FIELDS = (
    *RFC1628.fields[:2],
    s(
        "battery_status",
        s7(2, 1),
        Kind.ENUM,
        enum={
            1: B.UNKNOWN,
            2: B.NORMAL,
            3: B.NORMAL,
            4: B.NORMAL,
            5: B.NORMAL,
            6: B.LOW,
            7: B.DEPLETED,
            8: B.UNKNOWN,
            9: B.UNKNOWN,
        },
    ),
    s("seconds_on_battery", s7(2, 2), unit="s", sentinels=NA),
    s("runtime_remaining_s", s7(2, 3), scale=60, unit="s", sentinels=NA),
    s("charge_pct", s7(2, 4), unit="%", sentinels=NA),
    s("battery_voltage_v", s7(2, 5), scale=0.1, unit="V", sentinels=NA),
    s("battery_temperature_c", s7(2, 6), scale=0.1, unit="°C", sentinels=NO_SENSOR),
    s("battery_current_a", s7(2, 8), scale=0.1, unit="A", sentinels=NA),
    s("input.frequency_hz", s7(3, 2), scale=0.1, unit="Hz", sentinels=NA),
    s("input.voltage_v", s7(3, 3, 1, 2), scale=0.1, unit="V", sentinels=NA),
    s("input.current_a", s7(3, 3, 1, 3), scale=0.1, unit="A", sentinels=NA),
    s("output_source", s7(6, 3, 15), Kind.ENUM, enum={1: O.BATTERY, 0: None}),
    s(
        "output_source",
        s7(4, 1),
        Kind.ENUM,
        enum={
            1: O.OTHER,
            2: O.BYPASS,
            3: O.NORMAL,
            4: O.NORMAL,
            5: O.NORMAL,
            6: O.BYPASS,
            7: O.NONE,
            8: O.NONE,
        },
    ),
    s("output_frequency_hz", s7(4, 2), scale=0.1, unit="Hz", sentinels=NA),
    s("output.voltage_v", s7(4, 4, 1, 2), scale=0.1, unit="V", sentinels=NA),
    s("output.current_a", s7(4, 4, 1, 3), scale=0.1, unit="A", sentinels=NA),
    s("output.load_pct", s7(4, 4, 1, 4), unit="%", sentinels=NA),
    s("output.load_pct", s7(4, 7), unit="%", sentinels=NA),  # load rate, as line 1
    s("bypass_frequency_hz", s7(5, 1), scale=0.1, unit="Hz", sentinels=NA),
    s("bypass.voltage_v", s7(5, 3, 1, 2), scale=0.1, unit="V", sentinels=NA),
    s("bypass.current_a", s7(5, 3, 1, 3), scale=0.1, unit="A", sentinels=NA),
    *(s("alarms", s7(6, 3, n), Kind.FLAG, enum={1: name}) for n, name in NV7_FLAGS.items()),
    s("alarms", s7(2, 1), Kind.FLAG, enum={8: "BatteryBad", 9: "BatteryBad"}),
)

NV7 = Profile(
    name="socomec_nv7",
    vendor="Socomec",
    description="Socomec NetVision 7 (SOCOMECUPS7-MIB, 4555.1.1.7)",
    fields=NV7_FIELDS,
    walk_roots=(s7(2), s7(3), s7(4), s7(5), s7(6, 3)),
    v1_walk_roots=(s7(2), s7(3), s7(4), s7(5), s7(6, 3)),
    sensors=(
        # battery-room ambient, x0.1 °C; 0 = no sensor
        SensorSpec(SensorKind.TEMPERATURE, s7(2, 7), scale=0.1, unit="°C", sentinels=NO_SENSOR),
    ),
)

# The NV7 sysObjectID is assumed (vendor-mibs.md); CEN probes NV7 first, then NV5.
NV7_DETECT = DetectRule(
    profile="socomec_nv7",
    sys_object_ids=("1.3.6.1.4.1.4555.1.1.7",),
    signature=(s7(2, 1), s7(2, 4), s7(4, 1)),
    priority=29,
)

NV7_TRAPS = traps(
    "1.3.6.1.4.1.4555.1.1.7.2",
    {
        1: on_battery(),
        15: on_battery(),
        23: removed("OnBattery"),  # powerRestored
        10: added("LowBattery"),
        14: added("CommunicationsLost"),
        25: removed("CommunicationsLost"),
        16: added("DiagnosticTestFailed"),
        6: added("OutputOverload"),
        5: added("ShutdownImminent"),
        18: added("OnBypass"),
    },
)
