"""Which trap means what: trap OID normalisation and the trap → (kind, alarm) table.

Both are data. A vendor trap is one more row in `TRAP_RULES`; an odd OID form one more
row in `OID_REWRITES`. Nothing here touches the network or the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from monitoring.mib import UPS_ALARM_DESCR, WELL_KNOWN_ALARMS, dotted
from monitoring.traps.events import TrapKind
from monitoring.vendor_profiles import TRAPS as VENDOR_TRAPS

UPS_TRAPS = "1.3.6.1.2.1.33.2"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"  # snmpTrapOID.0, the v2c notification's name
SYS_UPTIME_0 = "1.3.6.1.2.1.1.3.0"
SNMP_TRAPS = "1.3.6.1.6.3.1.1.5"  # v1 generic traps 0-5 → snmpTraps.(generic + 1)
ENTERPRISE_SPECIFIC = 6

# Prefix rewrites applied to every trap OID, first match wins. RFC 1628 traps reach us
# as …33.2.n (SMIv2), …33.2.0.n (v1→v2 conversion, RFC 3584) and, from cards that put
# the MIB root in the v1 enterprise field, …33.0.n; they all mean …33.2.n.
OID_REWRITES: tuple[tuple[str, str], ...] = (
    (f"{UPS_TRAPS}.0.", f"{UPS_TRAPS}."),
    ("1.3.6.1.2.1.33.0.", f"{UPS_TRAPS}."),
)


@dataclass(frozen=True, slots=True)
class TrapRule:
    kind: TrapKind
    # The alarm a trap always names (upsTrapOnBattery → "OnBattery") ...
    alarm: str | None = None
    # ... or the varbind column whose OID value names it (upsAlarmDescr.<id> → a
    # well-known alarm under 33.1.6.3); matched as a prefix because of the row index.
    alarm_column: str | None = None


_DESCR = dotted(UPS_ALARM_DESCR)

# Normalised trap OID → rule. Unknown OIDs are stored as OTHER (no alarm).
# Vendor rows follow vendor-mibs.md; they are v2 OIDs (<enterprise>.0.<specific>), the
# form v1 traps are normalised to as well.
TRAP_RULES: Mapping[str, TrapRule] = MappingProxyType(
    {
        # RFC 1628
        f"{UPS_TRAPS}.1": TrapRule(TrapKind.ON_BATTERY, alarm="OnBattery"),
        f"{UPS_TRAPS}.2": TrapRule(TrapKind.TEST_COMPLETED),
        f"{UPS_TRAPS}.3": TrapRule(TrapKind.ALARM_ADDED, alarm_column=_DESCR),
        f"{UPS_TRAPS}.4": TrapRule(TrapKind.ALARM_REMOVED, alarm_column=_DESCR),
        # APC PowerNet (enterprise 318): upsOnBattery, powerRestored, lowBattery,
        # returnFromLowBattery.
        "1.3.6.1.4.1.318.0.5": TrapRule(TrapKind.ON_BATTERY, alarm="OnBattery"),
        "1.3.6.1.4.1.318.0.9": TrapRule(TrapKind.ALARM_REMOVED, alarm="OnBattery"),
        "1.3.6.1.4.1.318.0.7": TrapRule(TrapKind.ALARM_ADDED, alarm="LowBattery"),
        "1.3.6.1.4.1.318.0.11": TrapRule(TrapKind.ALARM_REMOVED, alarm="LowBattery"),
        # Every other vendor row comes from the vendor profiles (data next to each
        # profile, monitoring/vendor_profiles/); a row above wins over a profile's.
        **{
            row.oid: TrapRule(TrapKind(row.kind), alarm=row.alarm)
            for row in VENDOR_TRAPS
            if row.oid
            not in {
                "1.3.6.1.4.1.318.0.5",
                "1.3.6.1.4.1.318.0.9",
                "1.3.6.1.4.1.318.0.7",
                "1.3.6.1.4.1.318.0.11",
            }
        },
    }
)

_OTHER = TrapRule(TrapKind.OTHER)


def normalise(trap_oid: str) -> str:
    for prefix, replacement in OID_REWRITES:
        if trap_oid.startswith(prefix):
            return replacement + trap_oid[len(prefix) :]
    return trap_oid


def v1_trap_oid(enterprise: str, generic: int, specific: int) -> str:
    """The v2 name of a v1 trap (RFC 3584 §3.1), then normalised."""
    if generic != ENTERPRISE_SPECIFIC:
        return f"{SNMP_TRAPS}.{generic + 1}"
    # RFC 1628 cards send enterprise upsTraps (→ …33.2.0.n) or upsMIB (→ …33.0.n);
    # OID_REWRITES turns both into …33.2.n.
    return normalise(f"{enterprise}.0.{specific}")


def classify(trap_oid: str, varbinds: Mapping[str, Any]) -> tuple[TrapKind, str | None]:
    """(kind, well-known alarm name or None) of a normalised trap OID and its varbinds."""
    rule = TRAP_RULES.get(trap_oid, _OTHER)
    if rule.alarm_column is None:
        return rule.kind, rule.alarm
    column = rule.alarm_column + "."
    for name, value in varbinds.items():
        if name.startswith(column) and isinstance(value, str):
            alarm = WELL_KNOWN_ALARMS.get(_oid_or_empty(value))
            if alarm is not None:
                return rule.kind, alarm
    return rule.kind, rule.alarm


def _oid_or_empty(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return ()
