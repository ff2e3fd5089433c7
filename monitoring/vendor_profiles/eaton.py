"""Eaton XUPS-MIB / PowerMIB (vendor-mibs.md §2a, base X = 1.3.6.1.4.1.534.1) and
MGE / Eaton MG-SNMP-UPS-MIB (§2b, base M = 1.3.6.1.4.1.705.1).

XUPS: runtime in seconds, phase rows sometimes indexed .0 (decode maps row 0 to line 1),
alarms as a table of descriptor OIDs. MGE: runtime in seconds, most states as separate
yes(1)/no(2) objects, no bypass objects (RFC 1628's are used).
"""

from __future__ import annotations

from monitoring import mib
from monitoring.choices import OutputSource as O
from monitoring.choices import TestResult as T
from monitoring.mib import oid
from monitoring.profiles import RFC1628 as _RFC
from monitoring.profiles import Kind, Profile, SensorKind, SensorSpec
from monitoring.vendor_profiles.base import DetectRule, added, on_battery, removed, s, traps

X = oid("1.3.6.1.4.1.534.1")
M = oid("1.3.6.1.4.1.705.1")


def x(*suffix: int) -> tuple[int, ...]:
    return (*X, *suffix)


def m(*suffix: int) -> tuple[int, ...]:
    return (*M, *suffix)


YES = 1  # the MIBs' yes(1)/no(2) flags

# --- XUPS ---------------------------------------------------------------------------

XUPS_OUTPUT_SOURCE = {
    1: O.OTHER,
    2: O.NONE,
    3: O.NORMAL,
    4: O.BYPASS,
    5: O.BATTERY,
    6: O.BOOSTER,
    7: O.REDUCER,
    8: O.NORMAL,  # parallelCapacity
    9: O.NORMAL,  # parallelRedundant
    10: O.NORMAL,  # highEfficiency
    11: O.BYPASS,  # maintenanceBypass
    12: O.NORMAL,  # essMode
}

# xupsAlarmDescr values (well-known alarm OIDs under X.7) → ConditionKind names.
# UtilityPowerRestored (.5) and ReturnFromLowBattery (.6) are events, not states.
XUPS_ALARMS = {
    x(7, 3): "OnBattery",
    x(7, 4): "LowBattery",
    x(7, 7): "OutputOverload",
    x(7, 8): "GeneralFault",  # InternalFailure
    x(7, 9): "DepletedBattery",  # BatteryDischarged
    x(7, 11): "OnBypass",
    x(7, 13): "UpsOutputOff",  # OutputOff
    x(7, 23): "BatteryBad",
    x(7, 25): "DiagnosticTestFailed",
    x(7, 26): "CommunicationsLost",
    x(7, 33): "FanFailure",
    x(7, 44): "OnBypass",  # OnMaintenanceBypass
}

XUPS_FIELDS = (
    *_RFC.fields[:2],
    s("manufacturer", x(1, 1), Kind.STRING),
    s("model", x(1, 2), Kind.STRING),
    s("ups_software_version", x(1, 3), Kind.STRING),
    # battery: runtime in seconds
    s("runtime_remaining_s", x(2, 1), unit="s"),
    s("battery_voltage_v", x(2, 2), unit="V"),
    # The MIB says A; NUT applies x0.1. We follow the MIB: a card that disagrees gets a
    # per-UPS scale override.
    s("battery_current_a", x(2, 3), unit="A"),
    s("charge_pct", x(2, 4), unit="%"),
    # No battery temperature in XUPS: RFC 1628's, when the card also serves it.
    s("battery_temperature_c", mib.UPS_BATTERY_TEMPERATURE, unit="°C"),
    # input
    s("input.num_lines", x(3, 3), Kind.INTEGER),
    s("input.frequency_hz", x(3, 1), scale=0.1, unit="Hz"),
    s("input.voltage_v", x(3, 4, 1, 2), unit="V"),
    s("input.current_a", x(3, 4, 1, 3), unit="A"),
    # output
    s("output_source", x(4, 5), Kind.ENUM, enum=XUPS_OUTPUT_SOURCE),
    s("output_frequency_hz", x(4, 2), scale=0.1, unit="Hz"),
    s("output.num_lines", x(4, 3), Kind.INTEGER),
    s("output.voltage_v", x(4, 4, 1, 2), unit="V"),
    s("output.current_a", x(4, 4, 1, 7), scale=0.1, unit="A"),  # high precision first
    s("output.current_a", x(4, 4, 1, 3), unit="A"),
    s("output.power_w", x(4, 4, 1, 4), unit="W"),
    s("output.load_pct", x(4, 4, 1, 8), unit="%"),
    s("output.load_pct", x(4, 1), unit="%"),  # whole-UPS load, as line 1
    # bypass
    s("bypass_frequency_hz", x(5, 1), scale=0.1, unit="Hz"),
    s("bypass.num_lines", x(5, 2), Kind.INTEGER),
    s("bypass.voltage_v", x(5, 3, 1, 2), unit="V"),
    # alarms: the descriptor table, plus the 2019 battery flags and ABM states
    s("alarms", x(7, 2, 1, 2), Kind.ALARM, enum=XUPS_ALARMS),
    s("alarms", x(2, 7), Kind.FLAG, enum={YES: "BatteryBad"}),  # xupsBatteryFailure
    s("alarms", x(2, 8), Kind.FLAG, enum={YES: "BatteryBad"}),  # NotPresent
    s("alarms", x(2, 9), Kind.FLAG, enum={YES: "BatteryBad"}),  # Aged
    s("alarms", x(2, 10), Kind.FLAG, enum={YES: "LowBattery"}),  # LowCapacity
    s("alarms", x(2, 5), Kind.FLAG, enum={7: "TestInProgress", 8: "BatteryBad"}),  # ABM
    # test
    s(
        "test_result",
        x(8, 2),
        Kind.ENUM,
        enum={
            1: T.NO_TESTS_INITIATED,  # unknown
            2: T.DONE_PASS,
            3: T.DONE_ERROR,
            4: T.IN_PROGRESS,
            5: T.NO_TESTS_INITIATED,  # notSupported
            6: T.ABORTED,  # inhibited
            7: T.NO_TESTS_INITIATED,  # scheduled
        },
    ),
    # config: xupsConfigOutputVoltage, xupsConfigInputVoltage
    s("nominal.output_voltage_v", x(10, 1), unit="V"),
    s("nominal.input_voltage_v", x(10, 2), unit="V"),
)

XUPS = Profile(
    name="eaton_xups",
    vendor="Eaton",
    description="Eaton / Powerware XUPS-MIB (ConnectUPS, Network-M2 in XUPS mode)",
    fields=XUPS_FIELDS,
    walk_roots=(x(1), x(2), x(3), x(4), x(5), x(6), x(7), x(8, 2), x(10), mib.UPS_BATTERY),
    v1_walk_roots=(x(1), x(2), x(3), x(4), x(5), x(6), x(7), x(8, 2), x(10), mib.UPS_BATTERY),
    sensors=(
        SensorSpec(SensorKind.TEMPERATURE, x(6, 1), channel=1, unit="°C"),  # ambient
        SensorSpec(SensorKind.TEMPERATURE, x(6, 5), channel=2, unit="°C"),  # remote
        SensorSpec(SensorKind.HUMIDITY, x(6, 4), channel=1, unit="%"),
        SensorSpec(SensorKind.HUMIDITY, x(6, 6), channel=2, unit="%"),
    ),
)

XUPS_DETECT = DetectRule(
    profile="eaton_xups",
    sys_object_ids=("1.3.6.1.4.1.534.1", "1.3.6.1.4.1.534.2"),
    signature=(x(1, 2), x(2, 1), x(4, 5)),
    priority=20,
)

XUPS_TRAPS = traps(
    "1.3.6.1.4.1.534.1.11.4.1",
    {
        3: on_battery(),
        5: removed("OnBattery"),  # UtilityPowerRestored
        4: added("LowBattery"),
        6: removed("LowBattery"),
        26: added("CommunicationsLost"),
        49: removed("CommunicationsLost"),  # CommEstablished
        25: added("DiagnosticTestFailed"),
        45: removed("DiagnosticTestFailed"),
        7: added("OutputOverload"),
        21: ("alarm_added", None),  # AlarmEntryAdded: a hint, the re-poll tells which
        22: ("alarm_removed", None),
    },
)

# --- MGE ----------------------------------------------------------------------------

MGE_FIELDS = (
    *_RFC.fields[:2],
    s("model", m(1, 1), Kind.STRING),  # upsmgIdentFamilyName
    # battery: runtime in seconds (no UNITS clause; NUT and LibreNMS agree on seconds)
    s("runtime_remaining_s", m(5, 1), unit="s"),
    s("charge_pct", m(5, 2), unit="%"),
    s("battery_voltage_v", m(5, 5), scale=0.1, unit="V"),
    s("battery_current_a", m(5, 6), scale=0.1, unit="A"),
    s("battery_temperature_c", m(5, 7), unit="°C"),
    # input
    s("input.num_lines", m(6, 1), Kind.INTEGER),
    s("input.voltage_v", m(6, 2, 1, 2), scale=0.1, unit="V"),
    s("input.frequency_hz", m(6, 2, 1, 3), scale=0.1, unit="Hz"),
    s("input.current_a", m(6, 2, 1, 6), scale=0.1, unit="A"),
    # output: on battery (yes) wins; "no" says nothing, so RFC 1628's source is asked
    s("output_source", m(7, 3), Kind.ENUM, enum={YES: O.BATTERY, 2: None}),
    s("output_source", m(7, 4), Kind.ENUM, enum={YES: O.BYPASS, 2: None}),
    s("output_source", mib.UPS_OUTPUT_SOURCE, Kind.ENUM, enum=mib.OUTPUT_SOURCE),
    s("output_source", m(7, 3), Kind.ENUM, enum={2: O.NORMAL}),
    s("output.num_lines", m(7, 1), Kind.INTEGER),
    s("output.voltage_v", m(7, 2, 1, 2), scale=0.1, unit="V"),
    # Per-phase frequency of line 1 as the output frequency (decode tries `.0` then the
    # bare OID, so a column cell can be addressed as a scalar).
    s("output_frequency_hz", (*m(7, 2, 1, 3), 1), scale=0.1, unit="Hz"),
    s("output_frequency_hz", mib.UPS_OUTPUT_FREQUENCY, scale=0.1, unit="Hz"),
    # NUT reads LoadPerPhase as %, LibreNMS as VA; we follow NUT (vendor-mibs.md §7).
    s("output.load_pct", m(7, 2, 1, 4), unit="%"),
    s("output.current_a", m(7, 2, 1, 5), scale=0.1, unit="A"),
    # bypass: none in the MGE MIB
    s("bypass_frequency_hz", mib.UPS_BYPASS_FREQUENCY, scale=0.1, unit="Hz"),
    s("bypass.num_lines", mib.UPS_BYPASS_NUM_LINES, Kind.INTEGER),
    s("bypass.voltage_v", mib.UPS_BYPASS_VOLTAGE, unit="V"),
    # alarms: yes(1)/no(2) objects
    s("alarms", m(7, 3), Kind.FLAG, enum={YES: "OnBattery"}),
    s("alarms", m(7, 4), Kind.FLAG, enum={YES: "OnBypass"}),
    s("alarms", m(7, 10), Kind.FLAG, enum={YES: "OutputOverload"}),
    s("alarms", m(7, 11), Kind.FLAG, enum={YES: "TempBad"}),
    s("alarms", m(5, 9), Kind.FLAG, enum={YES: "BatteryBad"}),  # BatteryFault
    s("alarms", m(5, 10), Kind.FLAG, enum={YES: "BatteryBad"}),  # NoBattery
    s("alarms", m(5, 11), Kind.FLAG, enum={YES: "BatteryBad"}),  # Replacement
    s("alarms", m(5, 14), Kind.FLAG, enum={YES: "LowBattery"}),
    s("alarms", m(5, 15), Kind.FLAG, enum={YES: "ChargerFailed"}),
    s("alarms", m(6, 3), Kind.FLAG, enum={YES: "InputBad"}),
    s("alarms", mib.UPS_ALARM_DESCR, Kind.ALARM, enum=mib.WELL_KNOWN_ALARMS),
    # test
    s(
        "test_result",
        m(10, 3),
        Kind.ENUM,
        enum={1: T.DONE_PASS, 2: T.DONE_ERROR, 3: T.NO_TESTS_INITIATED},
    ),
    s("nominal.output_voltage_v", mib.UPS_CONFIG_OUTPUT_VOLTAGE, unit="V"),
)

MGE = Profile(
    name="eaton_mge",
    vendor="Eaton/MGE",
    description="MGE / Eaton MG-SNMP-UPS-MIB (Network Management Card, Galaxy/Pulsar)",
    fields=MGE_FIELDS,
    walk_roots=(
        m(1),
        m(5),
        m(6),
        m(7),
        m(8),
        m(10),
        mib.UPS_OUTPUT,
        mib.UPS_BYPASS,
        mib.UPS_ALARM,
        mib.UPS_CONFIG,
    ),
    v1_walk_roots=(
        m(1),
        m(5),
        m(6),
        m(7),
        m(8),
        m(10),
        mib.UPS_OUTPUT,
        mib.UPS_BYPASS,
        mib.UPS_ALARM,
        mib.UPS_CONFIG,
    ),
    sensors=(
        SensorSpec(SensorKind.TEMPERATURE, m(8, 1), channel=1, scale=0.1, unit="°C"),
        SensorSpec(SensorKind.HUMIDITY, m(8, 2), channel=1, scale=0.1, unit="%"),
    ),
)

MGE_DETECT = DetectRule(
    profile="eaton_mge",
    sys_object_ids=("1.3.6.1.4.1.705.1",),
    signature=(m(1, 1), m(5, 2), m(7, 3)),
    priority=20,
)

MGE_TRAPS = traps(
    "1.3.6.1.4.1.705.1.11",
    {
        11: on_battery(),
        12: removed("OnBattery"),  # ReturnFromBattery
        5: added("LowBattery"),
        6: removed("LowBattery"),
        37: added("CommunicationsLost"),
        38: removed("CommunicationsLost"),
        45: added("DiagnosticTestFailed"),
        48: added("DiagnosticTestFailed"),  # BatteryTestFail
        46: removed("DiagnosticTestFailed"),
        47: removed("DiagnosticTestFailed"),
        21: added("OutputOverload"),
        22: removed("OutputOverload"),  # LoadOK
    },
)
