"""APC PowerNet-MIB (vendor-mibs.md §1). Base P = 1.3.6.1.4.1.318.1.1.1.

Quirks encoded here as data: high-precision objects (x0.1) before the integer ones;
runtime and time on battery in TimeTicks; -1 for unsupported Adv/phase objects; 255
from an absent battery temperature probe; status as a 64-character flag string.
"""

from __future__ import annotations

from monitoring.choices import BatteryStatus as B
from monitoring.choices import OutputSource as O
from monitoring.choices import TestResult as T
from monitoring.mib import oid
from monitoring.profiles import RFC1628, Kind, Profile, SensorKind, SensorSpec
from monitoring.vendor_profiles.base import DetectRule, added, on_battery, removed, s, traps

P = oid("1.3.6.1.4.1.318.1.1.1")
IEM = oid("1.3.6.1.4.1.318.1.1.10.2.3.2.1")  # iemStatusProbesEntry


def p(*suffix: int) -> tuple[int, ...]:
    return (*P, *suffix)


TICKS = 0.01  # TimeTicks → s
UNSUPPORTED = frozenset({-1})

OUTPUT_STATUS = {
    1: O.OTHER,  # unknown
    2: O.NORMAL,  # onLine
    3: O.BATTERY,
    4: O.BOOSTER,  # onSmartBoost
    5: O.NONE,  # timedSleeping
    6: O.BYPASS,  # softwareBypass
    7: O.NONE,  # off
    8: O.NONE,  # rebooting
    9: O.BYPASS,  # switchedBypass
    10: O.BYPASS,  # hardwareFailureBypass
    11: O.NONE,  # sleepingUntilPowerReturn
    12: O.REDUCER,  # onSmartTrim
    13: O.NORMAL,  # ecoMode
    14: O.NORMAL,  # hotStandby
    15: O.NORMAL,  # onBatteryTest: NUT maps it to OL; TestInProgress below says why
    16: O.BYPASS,  # emergencyStaticBypass
    17: O.NORMAL,  # staticBypassStandby
    18: O.NORMAL,  # powerSavingMode
    19: O.NORMAL,  # spotMode
    20: O.NORMAL,  # eConversion
    21: O.NORMAL,
    22: O.NORMAL,
    23: O.NORMAL,
    24: O.NORMAL,  # 21-24 spot modes
    25: O.NORMAL,  # inverterStandby
    26: O.NONE,  # chargerOnly: the output is off
    27: O.BATTERY,  # distributedEnergyReserve: the load runs on the battery
    28: O.NORMAL,  # selfTest
}

# upsBasicStateOutputState: character n (1-based) of a 64-char "0/1" string.
STATE_FLAGS = {
    2: "OnBattery",
    3: "LowBattery",
    5: "BatteryBad",  # replaceBattery
    9: "OutputOverload",
    11: "DepletedBattery",  # batteriesDischarged
    25: "ChargerFailed",
    26: "TempBad",  # highBattTemp
    29: "TestInProgress",
    33: "BatteryBad",  # noBatteries
}

FIELDS = (
    *RFC1628.fields[:2],  # sysObjectID, sysUpTime
    s("model", p(1, 1, 1), Kind.STRING),  # upsBasicIdentModel
    s("ident_name", p(1, 1, 2), Kind.STRING),
    s("ups_software_version", p(1, 2, 1), Kind.STRING),  # upsAdvIdentFirmwareRevision
    # battery
    s(
        "battery_status",
        p(2, 1, 1),
        Kind.ENUM,
        enum={1: B.UNKNOWN, 2: B.NORMAL, 3: B.LOW, 4: B.UNKNOWN, 5: B.UNKNOWN},
    ),
    s("seconds_on_battery", p(2, 1, 2), scale=TICKS, unit="s"),
    s("runtime_remaining_s", p(2, 2, 3), scale=TICKS, unit="s"),
    s("charge_pct", p(2, 3, 1), scale=0.1, unit="%", raw_range=(0, 1000)),
    s("charge_pct", p(2, 2, 1), unit="%"),
    s("battery_voltage_v", p(2, 3, 4), scale=0.1, unit="V", sentinels=UNSUPPORTED),
    s("battery_voltage_v", p(2, 2, 8), unit="V", sentinels=UNSUPPORTED),
    s("battery_temperature_c", p(2, 3, 13), scale=0.1, unit="°C"),  # signed, extended
    s("battery_temperature_c", p(2, 3, 2), scale=0.1, unit="°C", sentinels=frozenset({255})),
    s("battery_temperature_c", p(2, 2, 2), unit="°C"),
    # input: the phase table first (row index_prefix 1 = main input), then single phase
    s("input.voltage_v", p(9, 2, 3, 1, 3), unit="V", index_prefix=(1,), sentinels=UNSUPPORTED),
    s("input.voltage_v", p(3, 3, 1), scale=0.1, unit="V"),
    s("input.voltage_v", p(3, 2, 1), unit="V"),
    s("input.frequency_hz", p(3, 3, 4), scale=0.1, unit="Hz"),
    s("input.frequency_hz", p(3, 2, 4), unit="Hz"),  # whole Hz (a walk shows 49)
    # output
    s("output_source", p(4, 1, 1), Kind.ENUM, enum=OUTPUT_STATUS),
    s("output_frequency_hz", p(4, 3, 2), scale=0.1, unit="Hz"),
    s("output_frequency_hz", p(4, 2, 2), unit="Hz"),
    s("output.voltage_v", p(9, 3, 3, 1, 3), unit="V", index_prefix=(1,), sentinels=UNSUPPORTED),
    s("output.voltage_v", p(4, 3, 1), scale=0.1, unit="V"),
    s("output.voltage_v", p(4, 2, 1), unit="V"),
    s(
        "output.current_a",
        p(9, 3, 3, 1, 4),
        scale=0.1,
        unit="A",
        index_prefix=(1,),
        sentinels=UNSUPPORTED,
    ),
    s("output.current_a", p(4, 3, 4), scale=0.1, unit="A"),
    s("output.current_a", p(4, 2, 4), unit="A"),
    s("output.load_pct", p(9, 3, 3, 1, 10), unit="%", index_prefix=(1,), sentinels=UNSUPPORTED),
    s("output.load_pct", p(4, 3, 3), scale=0.1, unit="%"),
    s("output.load_pct", p(4, 2, 3), unit="%"),
    # bypass: input 2 of the phase table is taken as the bypass input (upsPhaseInputType
    # 3); a card that numbers its inputs differently needs an index_prefix override.
    s("bypass.voltage_v", p(9, 2, 3, 1, 3), unit="V", index_prefix=(2,), sentinels=UNSUPPORTED),
    s("bypass.voltage_v", p(3, 3, 6), scale=0.1, unit="V"),
    # alarms: the flag string, plus status objects that carry a fault
    s("alarms", p(11, 1, 1), Kind.BITS, enum=STATE_FLAGS),
    s("alarms", p(2, 2, 4), Kind.FLAG, enum={2: "BatteryBad"}),  # replace indicator
    s("alarms", p(2, 1, 1), Kind.FLAG, enum={4: "BatteryBad", 5: "BatteryBad"}),
    s("alarms", p(4, 1, 1), Kind.FLAG, enum={10: "GeneralFault", 15: "TestInProgress"}),
    # test
    s(
        "test_result",
        p(7, 2, 3),
        Kind.ENUM,
        enum={1: T.DONE_PASS, 2: T.DONE_ERROR, 3: T.ABORTED, 4: T.IN_PROGRESS},
    ),
    # config: upsAdvConfigRatedOutputVoltage, low-battery runtime (TimeTicks)
    s("nominal.output_voltage_v", p(5, 2, 1), unit="V"),
    s("nominal.low_battery_time_s", p(5, 2, 8), scale=TICKS, unit="s"),
)

PROFILE = Profile(
    name="apc",
    vendor="APC",
    description="APC PowerNet-MIB (Smart-UPS, Symmetra; high-precision objects first)",
    fields=FIELDS,
    walk_roots=(p(1), p(2), p(3), p(4), p(5, 2), p(7, 2), p(9), p(11, 1), IEM),
    v1_walk_roots=(p(1), p(2), p(3), p(4), p(5, 2), p(7, 2), p(9), p(11, 1), IEM),
    sensors=(
        SensorSpec(
            SensorKind.TEMPERATURE,
            (*IEM, 4),
            column=True,
            unit="°C",
            name_oid=(*IEM, 2),
        ),
        # -1 when no humidity probe is fitted
        SensorSpec(
            SensorKind.HUMIDITY,
            (*IEM, 6),
            column=True,
            unit="%",
            sentinels=frozenset({-1}),
            name_oid=(*IEM, 2),
        ),
    ),
)

DETECT = DetectRule(
    profile="apc",
    sys_object_ids=("1.3.6.1.4.1.318",),
    # NUT identifies the card by upsBasicIdentModel answering.
    signature=(p(1, 1, 1), p(2, 1, 1), p(4, 1, 1)),
    priority=10,
)

TRAPS = traps(
    "1.3.6.1.4.1.318",
    {
        5: on_battery(),
        9: removed("OnBattery"),  # powerRestored
        7: added("LowBattery"),
        11: removed("LowBattery"),  # returnFromLowBattery
        1: added("CommunicationsLost"),
        8: removed("CommunicationsLost"),
        3: added("DiagnosticTestFailed"),
        10: removed("DiagnosticTestFailed"),
        2: added("OutputOverload"),
        33: removed("OutputOverload"),
        4: added("DepletedBattery"),  # upsDischarged
        17: added("BatteryBad"),  # batteryNeedsReplacement
        12: added("UpsOutputOff"),  # turnedOff
        22: added("OnBypass"),
        23: removed("OnBypass"),
    },
)
