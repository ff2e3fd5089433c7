"""Megatec / Phoenixtec XPPC-MIB, NetAgent cards (vendor-mibs.md §6).
Base Q = 1.3.6.1.4.1.935.1.1.1.

Quirk: line-interactive units report output status 8 (standBy) while on mains; it is
mapped to normal, not off (nut#3512, fixed in NUT PR#3600). Runtime in seconds in the
single-phase group, minutes in the 3-phase group.
"""

from __future__ import annotations

from monitoring.choices import BatteryStatus as B
from monitoring.choices import OutputSource as O
from monitoring.choices import TestResult as T
from monitoring.mib import oid
from monitoring.profiles import RFC1628, Kind, Profile, SensorKind, SensorSpec
from monitoring.vendor_profiles.base import DetectRule, added, on_battery, removed, s, traps

Q = oid("1.3.6.1.4.1.935.1.1.1")


def q(*suffix: int) -> tuple[int, ...]:
    return (*Q, *suffix)


OUTPUT_STATUS = {
    1: O.OTHER,
    2: O.NORMAL,
    3: O.BATTERY,
    4: O.BOOSTER,
    5: O.NONE,  # sleeping
    6: O.BYPASS,
    7: O.NONE,  # rebooting
    8: O.NORMAL,  # standBy: on mains on line-interactive units
    9: O.REDUCER,  # onBuck
}

# The 3-phase group's scale is undocumented; x0.1 as in the single-phase group.
_PHASE = dict(scale=0.1, unit="V")

FIELDS = (
    *RFC1628.fields[:2],
    s("model", q(1, 1, 1), Kind.STRING),
    s("battery_status", q(2, 1, 1), Kind.ENUM, enum={1: B.UNKNOWN, 2: B.NORMAL, 3: B.LOW}),
    s("runtime_remaining_s", q(2, 2, 4), unit="s"),
    s("runtime_remaining_s", q(8, 1, 3), scale=60, unit="s"),  # 3-phase group: minutes
    s("charge_pct", q(2, 2, 1), unit="%"),
    s("battery_voltage_v", q(2, 2, 2), scale=0.1, unit="V"),
    s("battery_temperature_c", q(2, 2, 3), scale=0.1, unit="°C"),
    # input: R/S/T objects of the 3-phase group as lines 1-3, else the single phase
    *(s("input.voltage_v", q(8, 2, 1 + n), line=n, **_PHASE) for n in (1, 2, 3)),  # type: ignore[arg-type]
    s("input.voltage_v", q(3, 2, 1), scale=0.1, unit="V"),
    s("input.frequency_hz", q(3, 2, 4), scale=0.1, unit="Hz"),
    s("output_source", q(4, 1, 1), Kind.ENUM, enum=OUTPUT_STATUS),
    s("output_frequency_hz", q(4, 2, 2), scale=0.1, unit="Hz"),
    *(s("output.voltage_v", q(8, 3, 1 + n), line=n, **_PHASE) for n in (1, 2, 3)),  # type: ignore[arg-type]
    s("output.voltage_v", q(4, 2, 1), scale=0.1, unit="V"),
    *(s("output.load_pct", q(8, 3, 4 + n), line=n, unit="%") for n in (1, 2, 3)),
    s("output.load_pct", q(4, 2, 3), unit="%"),
    *(s("bypass.voltage_v", q(8, 4, 1 + n), line=n, **_PHASE) for n in (1, 2, 3)),  # type: ignore[arg-type]
    s("alarms", q(2, 2, 5), Kind.FLAG, enum={2: "BatteryBad"}),  # replace indicator
    s(
        "test_result",
        q(7, 2, 3),
        Kind.ENUM,
        enum={1: T.DONE_PASS, 2: T.DONE_ERROR, 3: T.ABORTED, 4: T.IN_PROGRESS},
    ),
)

PROFILE = Profile(
    name="xppc",
    vendor="Megatec/Phoenixtec",
    description="Megatec / Phoenixtec XPPC-MIB (NetAgent cards)",
    fields=FIELDS,
    walk_roots=(q(1), q(2), q(3), q(4), q(7, 2), q(8), q(9)),
    v1_walk_roots=(q(1), q(2), q(3), q(4), q(7, 2), q(8), q(9)),
    sensors=(
        # 1 normal, 2 abnormal → digital 0/1
        SensorSpec(SensorKind.DIGITAL_IN, q(9, 1, 3), channel=1, on_values={1: 0, 2: 1}),
        SensorSpec(SensorKind.DIGITAL_IN, q(9, 1, 4), channel=2, on_values={1: 0, 2: 1}),
    ),
)

DETECT = DetectRule(
    profile="xppc",
    sys_object_ids=("1.3.6.1.4.1.935",),
    signature=(q(2, 1, 1), q(2, 2, 1), q(4, 1, 1)),
    priority=40,
)

# Same numbering as APC.
TRAPS = traps(
    "1.3.6.1.4.1.935",
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
        28: removed("OutputOverload"),
        32: added("OnBypass"),
    },
)
