"""Enumerations of the monitoring domain.

Each state carries its presentation (colour, icon shape, short word) so that templates,
the API and the live payloads never spell these out themselves (the NetBox way).
"""

from __future__ import annotations

from typing import NamedTuple

from django.db import models


class SnmpVersion(models.TextChoices):
    V1 = "1", "SNMP v1"
    V2C = "2c", "SNMP v2c"


class BatteryStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"
    DEPLETED = "depleted", "Depleted"


class OutputSource(models.TextChoices):
    OTHER = "other", "Other"
    NONE = "none", "None (output off)"
    NORMAL = "normal", "Normal (inverter on mains)"
    BYPASS = "bypass", "Bypass"
    BATTERY = "battery", "Battery"
    BOOSTER = "booster", "Booster"
    REDUCER = "reducer", "Reducer"


class TestResult(models.TextChoices):
    DONE_PASS = "done_pass", "Passed"
    DONE_WARNING = "done_warning", "Passed with warning"
    DONE_ERROR = "done_error", "Failed"
    ABORTED = "aborted", "Aborted"
    IN_PROGRESS = "in_progress", "In progress"
    NO_TESTS_INITIATED = "no_tests_initiated", "No test run"


class Severity(models.TextChoices):
    """Severity of one condition. Ordered: the worst condition colours the UPS."""

    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.WARNING: 1, Severity.CRITICAL: 2}


class UpsState(models.TextChoices):
    """The traffic light of one UPS."""

    UNKNOWN = "unknown", "Unknown"
    OK = "ok", "OK"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"
    COMM_LOST = "comm_lost", "Communication lost"

    @property
    def rank(self) -> int:
        """Sort key for "worst first": critical, comm lost, warning, unknown, ok."""
        return _STATE_PRESENTATION[self].rank

    @property
    def colour(self) -> str:
        return _STATE_PRESENTATION[self].colour

    @property
    def shape(self) -> str:
        return _STATE_PRESENTATION[self].shape

    @property
    def word(self) -> str:
        return _STATE_PRESENTATION[self].word

    @classmethod
    def for_severity(cls, severity: Severity | None) -> UpsState:
        if severity is None:
            return cls.OK
        return cls.CRITICAL if severity == Severity.CRITICAL else cls.WARNING


class StatePresentation(NamedTuple):
    rank: int
    colour: str  # CSS custom property suffix, see static/css/unms.css
    shape: str  # icon shape: never colour alone (WCAG 1.4.1)
    word: str  # the word printed on the icon


_STATE_PRESENTATION: dict[str, StatePresentation] = {
    UpsState.CRITICAL: StatePresentation(4, "red", "octagon", "ALARM"),
    UpsState.COMM_LOST: StatePresentation(3, "grey", "hatched", "NO COMM"),
    UpsState.WARNING: StatePresentation(2, "amber", "triangle", "WARN"),
    UpsState.UNKNOWN: StatePresentation(1, "grey", "dashed", "UNKNOWN"),
    UpsState.OK: StatePresentation(0, "green", "circle", "OK"),
}


class ConditionKind(models.TextChoices):
    """Everything that can be wrong with a UPS: the RFC 1628 well-known alarms (same
    names as upsAlarm* in the MIB, without the prefix), conditions derived from values
    and thresholds, and loss of communication with the card."""

    # RFC 1628 well-known alarms (1.3.6.1.2.1.33.1.6.3.n)
    BATTERY_BAD = "BatteryBad", "Battery bad"
    ON_BATTERY = "OnBattery", "On battery"
    LOW_BATTERY = "LowBattery", "Low battery"
    DEPLETED_BATTERY = "DepletedBattery", "Depleted battery"
    TEMP_BAD = "TempBad", "Temperature out of tolerance"
    INPUT_BAD = "InputBad", "Input out of tolerance"
    OUTPUT_BAD = "OutputBad", "Output out of tolerance"
    OUTPUT_OVERLOAD = "OutputOverload", "Output overload"
    ON_BYPASS = "OnBypass", "On bypass"
    BYPASS_BAD = "BypassBad", "Bypass out of tolerance"
    OUTPUT_OFF_AS_REQUESTED = "OutputOffAsRequested", "Output off as requested"
    UPS_OFF_AS_REQUESTED = "UpsOffAsRequested", "UPS off as requested"
    CHARGER_FAILED = "ChargerFailed", "Charger failed"
    UPS_OUTPUT_OFF = "UpsOutputOff", "UPS output off"
    UPS_SYSTEM_OFF = "UpsSystemOff", "UPS system off"
    FAN_FAILURE = "FanFailure", "Fan failure"
    FUSE_FAILURE = "FuseFailure", "Fuse failure"
    GENERAL_FAULT = "GeneralFault", "General fault"
    DIAGNOSTIC_TEST_FAILED = "DiagnosticTestFailed", "Diagnostic test failed"
    COMMUNICATIONS_LOST = "CommunicationsLost", "Card lost contact with the UPS"
    AWAITING_POWER = "AwaitingPower", "Awaiting power"
    SHUTDOWN_PENDING = "ShutdownPending", "Shutdown pending"
    SHUTDOWN_IMMINENT = "ShutdownImminent", "Shutdown imminent"
    TEST_IN_PROGRESS = "TestInProgress", "Test in progress"
    # Derived from values against thresholds
    LOW_RUNTIME = "LowRuntime", "Low runtime remaining"
    LOW_CHARGE = "LowCharge", "Low battery charge"
    HIGH_LOAD = "HighLoad", "High output load"
    HIGH_BATTERY_TEMPERATURE = "HighBatteryTemperature", "High battery temperature"
    # This system could not reach the card
    COMM_LOST = "CommLost", "Communication lost"
    # Environmental sensor points on the card (monitoring/sensors.py): pre-alarm is a
    # warning, alarm critical; one alarm per UPS and kind names every point involved.
    SENSOR_TEMPERATURE_HIGH = "SensorTemperatureHigh", "Temperature sensor high"
    SENSOR_TEMPERATURE_LOW = "SensorTemperatureLow", "Temperature sensor low"
    SENSOR_HUMIDITY_HIGH = "SensorHumidityHigh", "Humidity sensor high"
    SENSOR_HUMIDITY_LOW = "SensorHumidityLow", "Humidity sensor low"
    SENSOR_ANALOG_HIGH = "SensorAnalogHigh", "Analog sensor high"
    SENSOR_ANALOG_LOW = "SensorAnalogLow", "Analog sensor low"
    SENSOR_INPUT_ABNORMAL = "SensorInputAbnormal", "Digital input not in its normal state"
    SENSOR_LOST = "SensorLost", "Sensor not reporting"
