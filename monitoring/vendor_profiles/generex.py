"""Generex CS121 / CS141 cards (vendor-mibs.md §3): RFC 1628 plus the card's own
objects under upsObjects (U = 1.3.6.1.2.1.33.1) .10 and above.

All UPS values come from the standard rows; this profile adds the battery condition,
the vendor's extra well-known alarms (U.6.3.125-180) and the SensorManager (8 analog
channels x0.1 with name and unit text, 4 digital inputs, 4 digital outputs). The CS121
may answer scalars without `.0`: decode accepts both forms.
"""

from __future__ import annotations

from monitoring import mib
from monitoring.profiles import RFC1628, Kind, Profile, SensorKind, SensorSpec
from monitoring.vendor_profiles.base import DetectRule, s

U = mib.UPS_OBJECTS
SENSOR_MAN = (*U, 12)
SITE_MAN = (*U, 10)
EXTERNAL_SENSOR = (*U, 15, 1)  # additionalValues.externalSensor, whole °C


def u(*suffix: int) -> tuple[int, ...]:
    return (*U, *suffix)


# The vendor extends the well-known alarm list; the sensor limit alarms (125-140) are
# left out on purpose: sensor points are judged by our own thresholds (sensors.md).
GENEREX_ALARMS = {
    **mib.WELL_KNOWN_ALARMS,
    u(6, 3, 176): "DiagnosticTestFailed",  # upsAlarmTestFailed
    u(6, 3, 180): "BatteryBad",  # batteryTooOld
}

FIELDS = (
    *(spec for spec in RFC1628.fields if spec.field != "alarms"),
    s("alarms", mib.UPS_ALARM_DESCR, Kind.ALARM, enum=GENEREX_ALARMS),
    s("alarms", u(2, 8), Kind.FLAG, enum={2: "BatteryBad"}),  # condition: 2 replace
)

ANALOG = tuple(
    SensorSpec(
        SensorKind.ANALOG,
        (*SENSOR_MAN, n, 1),
        channel=n,
        scale=0.1,
        name_oid=(*SENSOR_MAN, n, 2),
        unit_oid=(*SENSOR_MAN, n, 3),
    )
    for n in range(1, 9)
)
DIGITAL_IN = tuple(
    SensorSpec(
        SensorKind.DIGITAL_IN, (*SENSOR_MAN, 8 + n, 1), channel=n, name_oid=(*SENSOR_MAN, 8 + n, 2)
    )
    for n in range(1, 5)
)
DIGITAL_OUT = tuple(
    SensorSpec(
        SensorKind.DIGITAL_OUT,
        (*SENSOR_MAN, 12 + n, 1),
        channel=n,
        name_oid=(*SENSOR_MAN, 12 + n, 2),
    )
    for n in range(1, 5)
)

PROFILE = Profile(
    name="generex_cs1x1",
    vendor="Generex",
    description="Generex CS121/CS141 (UPS-MIB plus SensorManager and card extras)",
    fields=FIELDS,
    walk_roots=(mib.UPS_OBJECTS,),
    v1_walk_roots=(*mib.UPS_GROUPS, SITE_MAN, SENSOR_MAN, (*U, 15)),
    sensors=(
        *ANALOG,
        *DIGITAL_IN,
        *DIGITAL_OUT,
        SensorSpec(SensorKind.TEMPERATURE, EXTERNAL_SENSOR, channel=1, unit="°C"),
    ),
)

DETECT = DetectRule(
    profile="generex_cs1x1",
    # LibreNMS: sysObjectID is the UPS-MIB root, sysDescr names the card.
    sys_object_ids=("1.3.6.1.2.1.33",),
    descr_words=("CS121", "CS141"),
    # Probing without the sysDescr: the SensorManager or SiteManager tree answers.
    signature=(SENSOR_MAN, SITE_MAN),
    min_answers=1,
    priority=5,
)

TRAPS = ()  # only the RFC 1628 traps, already in monitoring/traps/kinds.py
