"""CyberPower CPS-MIB (vendor-mibs.md §4). Base C = 1.3.6.1.4.1.3808.1.1.1.

Runtime and time on battery in TimeTicks; voltages and frequencies x0.1; the
environment probe in x0.1 °C (the °F object is ignored).
"""

from __future__ import annotations

from monitoring.choices import BatteryStatus as B
from monitoring.choices import OutputSource as O
from monitoring.choices import TestResult as T
from monitoring.mib import oid
from monitoring.profiles import RFC1628, Kind, Profile, SensorKind, SensorSpec
from monitoring.vendor_profiles.base import DetectRule, added, on_battery, removed, s, traps

C = oid("1.3.6.1.4.1.3808.1.1.1")
ENV = oid("1.3.6.1.4.1.3808.1.1.4")


def c(*suffix: int) -> tuple[int, ...]:
    return (*C, *suffix)


TICKS = 0.01

OUTPUT_STATUS = {
    1: O.OTHER,
    2: O.NORMAL,
    3: O.BATTERY,
    4: O.BOOSTER,
    5: O.NONE,  # onSleep
    6: O.NONE,  # off
    7: O.NONE,  # rebooting
    8: O.NORMAL,  # onECO
    9: O.BYPASS,
    10: O.REDUCER,  # onBuck
    11: O.NORMAL,  # onOverload: still online; OutputOverload below
}

FIELDS = (
    *RFC1628.fields[:2],
    s("model", c(1, 1, 1), Kind.STRING),
    s(
        "battery_status",
        c(2, 1, 1),
        Kind.ENUM,
        enum={1: B.UNKNOWN, 2: B.NORMAL, 3: B.LOW, 4: B.UNKNOWN},
    ),
    s("seconds_on_battery", c(2, 1, 2), scale=TICKS, unit="s"),
    s("runtime_remaining_s", c(2, 2, 4), scale=TICKS, unit="s"),
    s("charge_pct", c(2, 2, 1), unit="%"),
    s("battery_voltage_v", c(2, 2, 2), scale=0.1, unit="V"),
    s("battery_temperature_c", c(2, 2, 3), unit="°C"),
    # input: 3-phase table first, then the single-phase objects
    s("input.voltage_v", c(9, 1, 2, 1, 2), scale=0.1, unit="V"),
    s("input.voltage_v", c(3, 2, 1), scale=0.1, unit="V"),
    s("input.frequency_hz", c(9, 1, 2, 1, 4), scale=0.1, unit="Hz"),
    s("input.frequency_hz", c(3, 2, 4), scale=0.1, unit="Hz"),
    # output
    s("output_source", c(4, 1, 1), Kind.ENUM, enum=OUTPUT_STATUS),
    s("output_frequency_hz", c(4, 2, 2), scale=0.1, unit="Hz"),
    s("output.voltage_v", c(9, 2, 2, 1, 2), scale=0.1, unit="V"),
    s("output.voltage_v", c(4, 2, 1), scale=0.1, unit="V"),
    s("output.current_a", c(9, 2, 2, 1, 3), scale=0.1, unit="A"),
    s("output.current_a", c(4, 2, 4), scale=0.1, unit="A"),
    s("output.power_w", c(4, 2, 5), unit="W"),
    s("output.load_pct", c(4, 2, 3), unit="%"),
    s("bypass.voltage_v", c(9, 3, 2, 1, 2), scale=0.1, unit="V"),
    # alarms
    s("alarms", c(2, 1, 1), Kind.FLAG, enum={4: "BatteryBad"}),  # notPresent
    s("alarms", c(2, 2, 5), Kind.FLAG, enum={2: "BatteryBad"}),  # replace indicator
    s("alarms", c(3, 2, 6), Kind.FLAG, enum={2: "InputBad", 3: "InputBad", 4: "InputBad"}),
    s("alarms", c(4, 1, 1), Kind.FLAG, enum={11: "OutputOverload"}),
    s("alarms", c(10, 1), Kind.FLAG, enum={2: "TempBad", 3: "GeneralFault"}),
    s(
        "test_result",
        c(7, 2, 3),
        Kind.ENUM,
        enum={1: T.DONE_PASS, 2: T.DONE_ERROR, 3: T.ABORTED, 4: T.IN_PROGRESS},
    ),
)

PROFILE = Profile(
    name="cyberpower",
    vendor="CyberPower",
    description="CyberPower CPS-MIB (RMCARD)",
    fields=FIELDS,
    walk_roots=(c(1), c(2), c(3), c(4), c(7, 2), c(9), c(10), ENV),
    v1_walk_roots=(c(1), c(2), c(3), c(4), c(7, 2), c(9), c(10), ENV),
    sensors=(
        SensorSpec(SensorKind.TEMPERATURE, (*ENV, 2, 6), channel=1, scale=0.1, unit="°C"),
        SensorSpec(SensorKind.HUMIDITY, (*ENV, 3, 1), channel=1, unit="%"),
    ),
)

DETECT = DetectRule(
    profile="cyberpower",
    sys_object_ids=("1.3.6.1.4.1.3808",),
    signature=(c(1, 1, 1), c(2, 1, 1), c(4, 1, 1)),
    priority=20,
)

TRAPS = traps(
    "1.3.6.1.4.1.3808",
    {
        5: on_battery(),
        9: removed("OnBattery"),
        7: added("LowBattery"),
        11: removed("LowBattery"),
        1: added("CommunicationsLost"),
        8: removed("CommunicationsLost"),
        3: added("DiagnosticTestFailed"),
        10: removed("DiagnosticTestFailed"),
        2: added("OutputOverload"),
        19: removed("OutputOverload"),
        4: added("DepletedBattery"),
        16: added("TempBad"),
        38: added("GeneralFault"),
        39: added("BatteryBad"),
        42: added("OnBypass"),
        43: removed("OnBypass"),
    },
)
