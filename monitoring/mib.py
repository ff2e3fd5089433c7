"""UPS-MIB (RFC 1628) numeric OIDs, as plain data.

No MIB compiler and no name resolution at runtime: resolving names costs about 6 ms per
25 varbinds in pysnmp (snmp-performance.md), so everything here is a tuple of ints.
Profiles (monitoring/profiles.py) refer to these constants; vendor profiles add their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from monitoring.choices import BatteryStatus, OutputSource, TestResult

Oid = tuple[int, ...]


def oid(dotted: str) -> Oid:
    """`"1.3.6.1"` → `(1, 3, 6, 1)`; accepts a leading dot as net-snmp prints it."""
    return tuple(int(part) for part in dotted.strip().lstrip(".").split("."))


def dotted(value: Oid) -> str:
    return ".".join(str(part) for part in value)


# SNMPv2-MIB system group: read with GETNEXT of the object (no .0) so that agents that
# answer scalars without the .0 suffix still give an answer.
SYS_OBJECT_ID: Oid = (1, 3, 6, 1, 2, 1, 1, 2)
SYS_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 1, 3)

UPS_MIB: Oid = (1, 3, 6, 1, 2, 1, 33)
UPS_OBJECTS: Oid = (*UPS_MIB, 1)
UPS_TRAPS: Oid = (*UPS_MIB, 2)


def _u(*suffix: int) -> Oid:
    return (*UPS_OBJECTS, *suffix)


# Groups (subtrees of upsObjects). Walked one per varbind by SNMP v1 GETNEXT.
UPS_IDENT = _u(1)
UPS_BATTERY = _u(2)
UPS_INPUT = _u(3)
UPS_OUTPUT = _u(4)
UPS_BYPASS = _u(5)
UPS_ALARM = _u(6)
UPS_TEST = _u(7)
UPS_CONTROL = _u(8)
UPS_CONFIG = _u(9)
UPS_GROUPS: tuple[Oid, ...] = (
    UPS_IDENT,
    UPS_BATTERY,
    UPS_INPUT,
    UPS_OUTPUT,
    UPS_BYPASS,
    UPS_ALARM,
    UPS_TEST,
    UPS_CONTROL,
    UPS_CONFIG,
)

# ident (strings)
UPS_IDENT_MANUFACTURER = _u(1, 1)
UPS_IDENT_MODEL = _u(1, 2)
UPS_IDENT_UPS_SOFTWARE_VERSION = _u(1, 3)
UPS_IDENT_AGENT_SOFTWARE_VERSION = _u(1, 4)
UPS_IDENT_NAME = _u(1, 5)
UPS_IDENT_ATTACHED_DEVICES = _u(1, 6)

# battery
UPS_BATTERY_STATUS = _u(2, 1)
UPS_SECONDS_ON_BATTERY = _u(2, 2)
UPS_ESTIMATED_MINUTES_REMAINING = _u(2, 3)
UPS_ESTIMATED_CHARGE_REMAINING = _u(2, 4)
UPS_BATTERY_VOLTAGE = _u(2, 5)
UPS_BATTERY_CURRENT = _u(2, 6)
UPS_BATTERY_TEMPERATURE = _u(2, 7)

# input: scalars, then the columns of upsInputTable (upsInputEntry = 3.3.1), index = line
UPS_INPUT_LINE_BADS = _u(3, 1)
UPS_INPUT_NUM_LINES = _u(3, 2)
UPS_INPUT_FREQUENCY = _u(3, 3, 1, 2)
UPS_INPUT_VOLTAGE = _u(3, 3, 1, 3)
UPS_INPUT_CURRENT = _u(3, 3, 1, 4)
UPS_INPUT_TRUE_POWER = _u(3, 3, 1, 5)

# output
UPS_OUTPUT_SOURCE = _u(4, 1)
UPS_OUTPUT_FREQUENCY = _u(4, 2)
UPS_OUTPUT_NUM_LINES = _u(4, 3)
UPS_OUTPUT_VOLTAGE = _u(4, 4, 1, 2)
UPS_OUTPUT_CURRENT = _u(4, 4, 1, 3)
UPS_OUTPUT_POWER = _u(4, 4, 1, 4)
UPS_OUTPUT_PERCENT_LOAD = _u(4, 4, 1, 5)

# bypass
UPS_BYPASS_FREQUENCY = _u(5, 1)
UPS_BYPASS_NUM_LINES = _u(5, 2)
UPS_BYPASS_VOLTAGE = _u(5, 3, 1, 2)
UPS_BYPASS_CURRENT = _u(5, 3, 1, 3)
UPS_BYPASS_POWER = _u(5, 3, 1, 4)

# alarms: upsAlarmTable (6.2.1), index = alarm id
UPS_ALARMS_PRESENT = _u(6, 1)
UPS_ALARM_DESCR = _u(6, 2, 1, 2)
UPS_ALARM_TIME = _u(6, 2, 1, 3)
UPS_WELL_KNOWN_ALARMS = _u(6, 3)

# test
UPS_TEST_ID = _u(7, 1)
UPS_TEST_SPIN_LOCK = _u(7, 2)
UPS_TEST_RESULTS_SUMMARY = _u(7, 3)
UPS_TEST_RESULTS_DETAIL = _u(7, 4)
UPS_TEST_START_TIME = _u(7, 5)
UPS_TEST_ELAPSED_TIME = _u(7, 6)
UPS_WELL_KNOWN_TESTS = _u(7, 7)

# control
UPS_SHUTDOWN_TYPE = _u(8, 1)
UPS_SHUTDOWN_AFTER_DELAY = _u(8, 2)
UPS_STARTUP_AFTER_DELAY = _u(8, 3)
UPS_REBOOT_WITH_DURATION = _u(8, 4)
UPS_AUTO_RESTART = _u(8, 5)

# config (nominal values)
UPS_CONFIG_INPUT_VOLTAGE = _u(9, 1)
UPS_CONFIG_INPUT_FREQ = _u(9, 2)
UPS_CONFIG_OUTPUT_VOLTAGE = _u(9, 3)
UPS_CONFIG_OUTPUT_FREQ = _u(9, 4)
UPS_CONFIG_OUTPUT_VA = _u(9, 5)
UPS_CONFIG_OUTPUT_POWER = _u(9, 6)
UPS_CONFIG_LOW_BATT_TIME = _u(9, 7)
UPS_CONFIG_AUDIBLE_STATUS = _u(9, 8)
UPS_CONFIG_LOW_VOLTAGE_TRANSFER_POINT = _u(9, 9)
UPS_CONFIG_HIGH_VOLTAGE_TRANSFER_POINT = _u(9, 10)

_ALARM_NAMES = (
    "BatteryBad",
    "OnBattery",
    "LowBattery",
    "DepletedBattery",
    "TempBad",
    "InputBad",
    "OutputBad",
    "OutputOverload",
    "OnBypass",
    "BypassBad",
    "OutputOffAsRequested",
    "UpsOffAsRequested",
    "ChargerFailed",
    "UpsOutputOff",
    "UpsSystemOff",
    "FanFailure",
    "FuseFailure",
    "GeneralFault",
    "DiagnosticTestFailed",
    "CommunicationsLost",
    "AwaitingPower",
    "ShutdownPending",
    "ShutdownImminent",
    "TestInProgress",
)

#: upsAlarmDescr value (an OID under upsWellKnownAlarms) → alarm name.
WELL_KNOWN_ALARMS: Mapping[Oid, str] = MappingProxyType(
    {(*UPS_WELL_KNOWN_ALARMS, n): name for n, name in enumerate(_ALARM_NAMES, start=1)}
)
#: The reverse, for simulators and tests: alarm name → descriptor OID.
ALARM_OIDS: Mapping[str, Oid] = MappingProxyType({v: k for k, v in WELL_KNOWN_ALARMS.items()})

BATTERY_STATUS: Mapping[int, BatteryStatus] = MappingProxyType(
    {
        1: BatteryStatus.UNKNOWN,
        2: BatteryStatus.NORMAL,
        3: BatteryStatus.LOW,
        4: BatteryStatus.DEPLETED,
    }
)

OUTPUT_SOURCE: Mapping[int, OutputSource] = MappingProxyType(
    {
        1: OutputSource.OTHER,
        2: OutputSource.NONE,
        3: OutputSource.NORMAL,
        4: OutputSource.BYPASS,
        5: OutputSource.BATTERY,
        6: OutputSource.BOOSTER,
        7: OutputSource.REDUCER,
    }
)

TEST_RESULT: Mapping[int, TestResult] = MappingProxyType(
    {
        1: TestResult.DONE_PASS,
        2: TestResult.DONE_WARNING,
        3: TestResult.DONE_ERROR,
        4: TestResult.ABORTED,
        5: TestResult.IN_PROGRESS,
        6: TestResult.NO_TESTS_INITIATED,
    }
)
