"""Profiles are data: the RFC 1628 table, the registry and per-UPS override validation."""

from __future__ import annotations

from typing import Any

import pytest

from monitoring import mib
from monitoring.profiles import (
    KNOWN_FIELDS,
    PROFILES,
    RFC1628,
    FieldSpec,
    Kind,
    apply_overrides,
    get_profile,
    validate_overrides,
)


def test_the_default_profile_is_rfc1628() -> None:
    assert get_profile(None) is RFC1628
    assert get_profile("") is RFC1628
    assert get_profile("rfc1628") is RFC1628
    assert PROFILES["rfc1628"] is RFC1628


def test_an_unknown_profile_name_is_a_key_error_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known: rfc1628"):
        get_profile("apc-powernet")


@pytest.mark.parametrize(
    ("field", "scale"),
    [
        ("runtime_remaining_s", 60),
        ("battery_voltage_v", 0.1),
        ("battery_current_a", 0.1),
        ("output_frequency_hz", 0.1),
        ("input.frequency_hz", 0.1),
        ("input.current_a", 0.1),
        ("output.current_a", 0.1),
        ("bypass.current_a", 0.1),
        ("nominal.low_battery_time_s", 60),
        ("sys_uptime_s", 0.01),
        ("input.voltage_v", 1),
        ("charge_pct", 1),
    ],
)
def test_rfc1628_scales_raw_units_to_si(field: str, scale: float) -> None:
    (spec,) = [spec for spec in RFC1628.fields if spec.field == field]

    assert spec.scale == scale


def test_every_rfc1628_row_points_into_ups_mib_or_the_system_group() -> None:
    for spec in RFC1628.fields:
        assert spec.oid[:7] == mib.UPS_MIB or spec.oid[:7] == (1, 3, 6, 1, 2, 1, 1), spec


def test_a_field_spec_rejects_a_field_name_that_reading_does_not_have() -> None:
    with pytest.raises(ValueError, match=r"unknown field 'input\.voltage'"):
        FieldSpec("input.voltage", (1, 2, 3))


def test_an_enum_row_without_an_enum_map_is_rejected() -> None:
    with pytest.raises(ValueError, match="needs an enum map"):
        FieldSpec("battery_status", (1, 2, 3), Kind.ENUM)


def test_known_fields_cover_reading_nominal_and_line_attributes() -> None:
    assert {"charge_pct", "nominal.output_voltage_v", "output.load_pct", "input.num_lines"} <= (
        KNOWN_FIELDS
    )
    assert "notes" not in KNOWN_FIELDS


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"charge": {"scale": 1}}, "unknown field 'charge' for profile 'rfc1628'"),
        ({"charge_pct": {"factor": 1}}, "unknown setting"),
        ({"charge_pct": {"scale": "ten"}}, "scale must be a number"),
        ({"charge_pct": {"scale": 0}}, "scale must not be 0"),
        ({"charge_pct": {"scale": float("nan")}}, "finite"),
        ({"charge_pct": {"offset": "inf"}}, "finite"),
        ({"charge_pct": {"offset": None}}, "offset must be a number"),
        ({"charge_pct": {"scale": True}}, "scale must be a number"),
        ({"charge_pct": {"ignore": "yes"}}, "ignore must be true or false"),
        ({"charge_pct": 10}, "settings must be a mapping"),
    ],
)
def test_invalid_overrides_raise_a_value_error_that_says_what_is_wrong(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        apply_overrides(RFC1628, overrides)


def test_valid_overrides_are_normalised_to_floats_and_bools() -> None:
    clean = validate_overrides(
        RFC1628, {"input.voltage_v": {"scale": "0.1", "offset": 2}, "model": {"ignore": True}}
    )

    assert clean == {"input.voltage_v": {"scale": 0.1, "offset": 2.0}, "model": {"ignore": True}}


def test_no_overrides_return_the_profile_itself() -> None:
    assert apply_overrides(RFC1628, None) is RFC1628
    assert apply_overrides(RFC1628, {}) is RFC1628
