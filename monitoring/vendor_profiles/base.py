"""Shapes shared by the vendor profile modules: detection rules and trap rows.

Both are data next to the profile they belong to, so adding a vendor is one module:
its FieldSpec table, its `DetectRule` and its `VendorTrap` rows (docs/profiles.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitoring.mib import Oid
from monitoring.profiles import FieldSpec, Kind


@dataclass(frozen=True, slots=True)
class DetectRule:
    """How `monitoring.detect` recognises cards for `profile`.

    `sys_object_ids`: sysObjectID prefixes (dotted) that name this vendor;
    `descr_words`: if given, sysDescr must also contain one of them (Generex reports
    the UPS-MIB root as its sysObjectID, so the prefix alone says nothing);
    `signature`: objects (no instance suffix) a GETNEXT must land inside for the tree to
    count as answering; `min_answers` of them must. `priority`: lower is tried first
    when probing (more specific trees before generic ones).
    """

    profile: str
    signature: tuple[Oid, ...]
    sys_object_ids: tuple[str, ...] = ()
    descr_words: tuple[str, ...] = ()
    min_answers: int = 2
    priority: int = 50


@dataclass(frozen=True, slots=True)
class VendorTrap:
    """A vendor trap (v2 OID form `<enterprise>.0.<specific>`) → trap kind + alarm.

    `kind` is a `monitoring.traps.events.TrapKind` value ("on_battery", "alarm_added",
    "alarm_removed", "test_completed"); `alarm` a ConditionKind value or None.
    """

    oid: str
    kind: str
    alarm: str | None = None


def s(field_name: str, base: Oid, kind: Kind = Kind.NUMBER, **kwargs: Any) -> FieldSpec:
    return FieldSpec(field_name, base, kind, **kwargs)


def traps(enterprise: str, rows: dict[int, tuple[str, str | None]]) -> tuple[VendorTrap, ...]:
    """{specific: (kind, alarm)} under `enterprise` → VendorTrap rows (v2 form)."""
    return tuple(
        VendorTrap(f"{enterprise}.0.{n}", kind, alarm) for n, (kind, alarm) in rows.items()
    )


# Shorthands for trap tables: (kind, alarm).
def on_battery() -> tuple[str, str]:
    return ("on_battery", "OnBattery")


def added(alarm: str) -> tuple[str, str]:
    return ("alarm_added", alarm)


def removed(alarm: str) -> tuple[str, str]:
    return ("alarm_removed", alarm)
