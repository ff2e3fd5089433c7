"""Which profile fits a card: sysObjectID first, then which trees answer. Pure.

The engine gathers the evidence in one walk (sysObjectID, sysDescr, one GETNEXT per
signature object of every vendor rule, and the UPS-MIB tree) and `decide` turns it
into a `Detection` with a reason an administrator can read. Order (docs/profiles.md):

1. a vendor whose sysObjectID prefix (and sysDescr word, if the rule has any) matches
   and whose tree answers (or whose sysDescr match is proof enough: Generex);
2. any vendor tree that answers, by rule priority (sysObjectID unknown or lying);
3. RFC 1628 when the UPS-MIB tree answers with at least `MIN_UPS_MIB_FIELDS` values:
   a card answering one UPS-MIB object (APC cards serve upsIdentModel) is no full agent;
4. RFC 1628 anyway, marked not confident: nothing better answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from monitoring import mib
from monitoring.mib import Oid, dotted
from monitoring.profiles import RFC1628, get_profile
from monitoring.readings import Reading
from monitoring.vendor_profiles import DETECT_RULES, DetectRule

SYS_DESCR: Final[Oid] = (1, 3, 6, 1, 2, 1, 1, 1)
MIN_UPS_MIB_FIELDS: Final = 3

# UPS-MIB values that show a real agent (ident strings do not: every card has those).
UPS_MIB_CORE: Final = (
    "battery_status",
    "seconds_on_battery",
    "runtime_remaining_s",
    "charge_pct",
    "battery_voltage_v",
    "battery_temperature_c",
    "output_source",
    "output_frequency_hz",
)


@dataclass(frozen=True, slots=True)
class Evidence:
    sys_object_id: str | None
    sys_descr: str | None
    answered: frozenset[Oid]  # signature objects a GETNEXT landed inside
    ups_mib_fields: int  # core UPS-MIB values present


@dataclass(frozen=True, slots=True)
class Detection:
    profile: str
    reason: str
    confident: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"profile": self.profile, "reason": self.reason, "confident": self.confident}


def probe_oids(rules: Sequence[DetectRule] = DETECT_RULES) -> tuple[Oid, ...]:
    """GETNEXT these (as walk scalars) to gather evidence; the system group first."""
    seen: dict[Oid, None] = {mib.SYS_OBJECT_ID: None, SYS_DESCR: None}
    for rule in rules:
        seen.update(dict.fromkeys(rule.signature))
    return tuple(seen)


def ups_mib_count(reading: Reading) -> int:
    """How many core values an RFC 1628 decode of the walk produced."""
    count = sum(getattr(reading, name) is not None for name in UPS_MIB_CORE)
    return count + bool(reading.output) + bool(reading.input)


def evidence_from(
    varbinds: Iterable[tuple[Oid, object]],
    rfc_reading: Reading,
    rules: Sequence[DetectRule] = DETECT_RULES,
) -> Evidence:
    """Evidence from a detection walk's varbinds and their RFC 1628 decode."""
    oids = [tuple(oid) for oid, _value in varbinds]
    signatures = {sig for rule in rules for sig in rule.signature}
    answered = frozenset(sig for sig in signatures if any(o[: len(sig)] == sig for o in oids))
    descr = None
    for oid, value in varbinds:
        if tuple(oid)[: len(SYS_DESCR)] == SYS_DESCR and isinstance(value, bytes | str):
            descr = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            break
    return Evidence(rfc_reading.sys_object_id, descr, answered, ups_mib_count(rfc_reading))


def _vendor(rule: DetectRule) -> str:
    return get_profile(rule.profile).vendor or rule.profile


def _sys_matches(rule: DetectRule, ev: Evidence) -> str | None:
    """The matching prefix, if sysObjectID (and sysDescr, when required) match."""
    if not ev.sys_object_id:
        return None
    for prefix in rule.sys_object_ids:
        if ev.sys_object_id == prefix or ev.sys_object_id.startswith(prefix + "."):
            if rule.descr_words and not any(w in (ev.sys_descr or "") for w in rule.descr_words):
                continue
            return prefix
    return None


def _answers(rule: DetectRule, ev: Evidence) -> int:
    return sum(sig in ev.answered for sig in rule.signature)


def decide(ev: Evidence, rules: Sequence[DetectRule] = DETECT_RULES) -> Detection:
    sys_oid = ev.sys_object_id or "(none)"
    passed_over: list[str] = []
    for rule in rules:
        prefix = _sys_matches(rule, ev)
        if prefix is None:
            continue
        n = _answers(rule, ev)
        if n >= rule.min_answers or rule.descr_words:
            words = f" and sysDescr names {rule.descr_words}" if rule.descr_words else ""
            return Detection(
                rule.profile,
                f"sysObjectID {sys_oid} is {_vendor(rule)} ({prefix}){words}; "
                f"its tree answers {n}/{len(rule.signature)} probe objects",
            )
        passed_over.append(
            f"sysObjectID {sys_oid} names {_vendor(rule)} but its tree does not answer"
        )
    for rule in rules:
        n = _answers(rule, ev)
        if n >= max(rule.min_answers, 1):
            lead = "; ".join(passed_over) or f"sysObjectID {sys_oid} names no known vendor"
            return Detection(
                rule.profile,
                f"{lead}; the {_vendor(rule)} tree answers {n}/{len(rule.signature)} probe objects",
            )
    lead = "; ".join(passed_over) or "no vendor tree answers"
    if ev.ups_mib_fields >= MIN_UPS_MIB_FIELDS:
        return Detection(
            RFC1628.name, f"{lead}; UPS-MIB answers with {ev.ups_mib_fields} core values"
        )
    return Detection(
        RFC1628.name,
        f"{lead}; UPS-MIB answers with only {ev.ups_mib_fields} core value(s), so this is "
        "no full UPS-MIB agent: polling with rfc1628 anyway, expect gaps",
        confident=False,
    )


def describe_pin(profile: str) -> str:
    return f"pinned by an administrator ({profile})"


__all__ = ["Detection", "Evidence", "decide", "dotted", "evidence_from", "probe_oids"]
