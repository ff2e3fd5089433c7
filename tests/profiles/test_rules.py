"""Detection table, sanity rules, phantom phases, unit overrides: pure, no network."""

from __future__ import annotations

import pytest

from monitoring import mib
from monitoring.detect import Evidence, decide
from monitoring.mib import oid
from monitoring.profiles import RFC1628, apply_overrides, get_profile, validate_overrides
from monitoring.readings import Nominal, OutputLine, Reading
from monitoring.sanity import check
from monitoring.snmp.decode import decode

APC_SIG = frozenset({oid("1.3.6.1.4.1.318.1.1.1.1.1.1"), oid("1.3.6.1.4.1.318.1.1.1.2.1.1")})
XUPS_SIG = frozenset({oid("1.3.6.1.4.1.534.1.1.2"), oid("1.3.6.1.4.1.534.1.2.1")})
GENEREX_SIG = frozenset({(*mib.UPS_OBJECTS, 12)})


@pytest.mark.parametrize(
    ("sys_oid", "descr", "answered", "ups_mib", "profile", "confident", "why"),
    [
        ("1.3.6.1.4.1.318.1.3.2.12", None, APC_SIG, 1, "apc", True, "is APC"),
        # sysObjectID says APC but only UPS-MIB answers: the vendor claim is passed over
        ("1.3.6.1.4.1.318.1.3.2.12", None, frozenset(), 9, "rfc1628", True, "does not answer"),
        ("1.3.6.1.4.1.8072.3.2.10", None, XUPS_SIG, 9, "eaton_xups", True, "names no known"),
        ("1.3.6.1.2.1.33", "CS141 SNMP", frozenset(), 9, "generex_cs1x1", True, "sysDescr"),
        ("1.3.6.1.2.1.33", "some card", GENEREX_SIG, 9, "generex_cs1x1", True, "Generex"),
        ("1.3.6.1.2.1.33", "some card", frozenset(), 9, "rfc1628", True, "9 core values"),
        ("1.3.6.1.4.1.8072.3.2.10", None, frozenset(), 1, "rfc1628", False, "only 1"),
        (None, None, frozenset(), 0, "rfc1628", False, "no full UPS-MIB"),
    ],
)
def test_detection_table(
    sys_oid: str | None,
    descr: str | None,
    answered: frozenset[tuple[int, ...]],
    ups_mib: int,
    profile: str,
    confident: bool,
    why: str,
) -> None:
    found = decide(Evidence(sys_oid, descr, answered, ups_mib))

    assert (found.profile, found.confident) == (profile, confident)
    assert why in found.reason


@pytest.mark.parametrize(
    ("reading", "withheld"),
    [
        (Reading(reachable=True, charge_pct=-1), "charge_pct"),
        (Reading(reachable=True, charge_pct=100, runtime_remaining_s=0), "runtime_remaining_s"),
        (Reading(reachable=True, battery_temperature_c=300), "battery_temperature_c"),
        (
            Reading(
                reachable=True,
                output=(OutputLine(voltage_v=2369),),
                nominal=Nominal(output_voltage_v=230),
            ),
            "output L1 voltage_v",
        ),
        (
            Reading(
                reachable=True,
                output=(OutputLine(voltage_v=400),),
                nominal=Nominal(output_voltage_v=230),
            ),
            "1.5 x the nominal",
        ),
    ],
)
def test_sanity_withholds_impossible_values_with_a_note(reading: Reading, withheld: str) -> None:
    checked = check(reading)

    assert any(withheld in note for note in checked.suspicious)
    assert "not reported" in checked.suspicious[0]


def test_sanity_leaves_plausible_values_and_runtime_zero_on_a_flat_battery() -> None:
    reading = Reading(
        reachable=True, charge_pct=5, runtime_remaining_s=0, output=(OutputLine(voltage_v=230),)
    )

    assert check(reading) is reading


def test_withheld_values_raise_no_condition() -> None:
    from monitoring.status import UNKNOWN, assess

    reading = check(Reading(reachable=True, battery_temperature_c=300))

    assert reading.battery_temperature_c is None
    assert assess(reading, UNKNOWN).conditions == ()


def _vb(*rows: tuple[tuple[int, ...], int]) -> list[tuple[tuple[int, ...], int]]:
    return list(rows)


def test_phantom_phases_beyond_the_line_count_are_dropped() -> None:
    v = mib.UPS_OUTPUT_VOLTAGE
    varbinds = [((*mib.UPS_OUTPUT_NUM_LINES, 0), 1), ((*v, 1), 230), ((*v, 2), 0), ((*v, 3), 0)]

    reading = decode(varbinds, RFC1628)

    assert len(reading.output) == 1


def test_trailing_all_zero_rows_without_a_line_count_are_not_phases() -> None:
    v, load = mib.UPS_OUTPUT_VOLTAGE, mib.UPS_OUTPUT_PERCENT_LOAD
    varbinds = [((*v, 1), 230), ((*load, 1), 30), ((*v, 2), 0), ((*load, 2), 0), ((*v, 3), 0)]

    reading = decode(varbinds, RFC1628)

    assert len(reading.output) == 1
    assert any("not phases" in n for n in reading.notes)


def test_all_zero_phases_are_kept_when_line_one_is_zero_too() -> None:
    v = mib.UPS_INPUT_VOLTAGE
    reading = decode([((*v, 1), 0), ((*v, 2), 0), ((*v, 3), 0)], RFC1628)

    assert len(reading.input) == 3


@pytest.mark.parametrize(
    ("field", "unit", "raw", "expected"),
    [
        ("runtime_remaining_s", "s", 90, 90),  # a card that reports seconds in upsEstimated…
        ("runtime_remaining_s", "cs", 9000, 90),  # TimeTicks
        ("battery_temperature_c", "°F", 77, 25),
    ],
)
def test_a_unit_override_converts_to_the_canonical_unit(
    field: str, unit: str, raw: int, expected: float
) -> None:
    spec = next(s for s in RFC1628.fields if s.field == field)
    overrides = {field: {"unit": unit, "scale": 1}}

    profile = apply_overrides(RFC1628, overrides)
    reading = decode([((*spec.oid, 0), raw)], profile)

    assert getattr(reading, field) == pytest.approx(expected)


@pytest.mark.parametrize(
    "bad",
    [
        {"charge_pct": {"unit": "°F"}},
        {"runtime_remaining_s": {"unit": "fortnights"}},
        {"nope": {"scale": 1}},
        {"charge_pct": {"scale": 0}},
    ],
)
def test_bad_overrides_are_refused_with_a_reason(bad: dict[str, dict[str, object]]) -> None:
    with pytest.raises(ValueError, match=r"unknown|not known|must not be 0"):
        validate_overrides(get_profile("apc"), bad)


def test_ignore_override_blanks_a_vendor_field() -> None:
    profile = apply_overrides(get_profile("apc"), {"charge_pct": {"ignore": True}})
    varbinds = [(oid("1.3.6.1.4.1.318.1.1.1.2.2.1.0"), 80)]

    assert decode(varbinds, profile).charge_pct is None
    assert decode(varbinds, get_profile("apc")).charge_pct == 80


def test_apc_flag_string_reading_unknown_gives_no_alarms_and_a_note() -> None:
    varbinds = [(oid("1.3.6.1.4.1.318.1.1.1.11.1.1.0"), b"UNKNOWN")]

    reading = decode(varbinds, get_profile("apc"))

    assert reading.alarms == ()
    assert any("not a flag string" in n for n in reading.notes)


def test_every_vendor_trap_row_reaches_the_trap_table() -> None:
    from monitoring.traps.events import TrapKind
    from monitoring.traps.kinds import classify
    from monitoring.vendor_profiles import TRAPS

    for row in TRAPS:
        kind, alarm = classify(row.oid, {})
        assert kind == TrapKind(row.kind), row
        assert alarm == row.alarm, row
