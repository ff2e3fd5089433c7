"""decode(): varbinds → Reading, no network. Varbinds are written by hand in the plain
representation the client produces (int / bytes / OID tuple / SnmpException)."""

from __future__ import annotations

from typing import Any

import pytest

from monitoring import mib
from monitoring.choices import BatteryStatus, OutputSource
from monitoring.choices import TestResult as UpsTestResult
from monitoring.profiles import RFC1628, apply_overrides
from monitoring.readings import BypassLine, InputLine, OutputLine
from monitoring.snmp.decode import (
    END_OF_MIB_VIEW,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    SnmpException,
    decode,
)
from monitoring.snmp.decode import Value as DecodedValue
from tests.snmp.agent_fixture import TimeTicks, ups_mib

ON_BATTERY = mib.ALARM_OIDS["OnBattery"]
LOW_BATTERY = mib.ALARM_OIDS["LowBattery"]


def plain(values: dict[tuple[int, ...], Any]) -> list[tuple[tuple[int, ...], Any]]:
    """The fixture MIB as the client would hand it over (TimeTicks → int)."""
    return [(o, v.value if isinstance(v, TimeTicks) else v) for o, v in sorted(values.items())]


def s(obj: tuple[int, ...]) -> tuple[int, ...]:
    return (*obj, 0)


def test_a_full_single_phase_walk_decodes_every_field_in_si_units() -> None:
    reading = decode(plain(ups_mib(phases=1, alarms=[ON_BATTERY])), RFC1628)

    assert reading.reachable
    assert reading.profile == "rfc1628"
    assert reading.sys_object_id == "1.3.6.1.2.1.33"
    assert reading.sys_uptime_s == 1234.56
    assert reading.manufacturer == "ACME"
    assert reading.model == "Smart 3000"
    assert reading.ident_name == "UPS-1"
    assert reading.battery_status == BatteryStatus.NORMAL
    assert reading.runtime_remaining_s == 42 * 60
    assert reading.charge_pct == 100
    assert reading.battery_voltage_v == 54.6
    assert reading.battery_current_a == -1.2
    assert reading.battery_temperature_c == 25
    assert reading.input_line_bads == 3
    assert reading.input == (
        InputLine(voltage_v=230, frequency_hz=50, current_a=5.1, power_w=1001),
    )
    assert reading.output_source == OutputSource.NORMAL
    assert reading.output_frequency_hz == 50
    assert reading.output == (OutputLine(voltage_v=230, current_a=4.1, power_w=901, load_pct=31),)
    assert reading.bypass_frequency_hz == 50
    assert reading.bypass == (BypassLine(voltage_v=231, current_a=0, power_w=0),)
    assert reading.alarms == ("OnBattery",)
    assert reading.test_result == UpsTestResult.DONE_PASS
    assert reading.test_detail == "ok"
    assert reading.nominal.output_va == 3000
    assert reading.nominal.input_frequency_hz == 50
    assert reading.nominal.low_battery_time_s == 120
    assert reading.notes == ()


def test_a_three_phase_walk_gives_three_lines_per_table_in_index_order() -> None:
    reading = decode(plain(ups_mib(phases=3)), RFC1628)

    assert [line.voltage_v for line in reading.input] == [230, 231, 232]
    assert [line.load_pct for line in reading.output] == [31, 32, 33]
    assert len(reading.bypass) == 3
    assert reading.load_pct == 33
    assert reading.output_power_w == 901 + 902 + 903


@pytest.mark.parametrize(
    ("quirk", "kwargs"),
    [
        ("scalars without .0", {"no_dot_zero": True}),
        ("stray .0 after table indexes", {"stray_dot_zero": True}),
        ("both quirks at once", {"no_dot_zero": True, "stray_dot_zero": True}),
    ],
)
def test_field_quirks_decode_to_the_same_reading_as_a_clean_agent(
    quirk: str, kwargs: dict[str, Any]
) -> None:
    clean = decode(plain(ups_mib(phases=3, alarms=[ON_BATTERY])), RFC1628)

    quirky = decode(plain(ups_mib(phases=3, alarms=[ON_BATTERY], **kwargs)), RFC1628)

    assert quirky == clean, quirk


def test_varbind_order_and_duplicates_do_not_matter() -> None:
    varbinds = plain(ups_mib(phases=3))

    shuffled = list(reversed(varbinds)) + varbinds[:10]

    assert decode(shuffled, RFC1628) == decode(varbinds, RFC1628)


def test_a_partial_mib_reports_what_it_has_and_none_for_the_rest() -> None:
    reading = decode(plain(ups_mib(partial=True)), RFC1628)

    assert reading.charge_pct == 100
    assert reading.runtime_remaining_s == 2520
    assert reading.output_source == OutputSource.NORMAL
    assert reading.output == (OutputLine(load_pct=31),)
    assert reading.battery_voltage_v is None
    assert reading.input == ()
    assert reading.nominal.output_va is None
    assert reading.notes == ()


def test_no_varbinds_at_all_is_a_reachable_reading_full_of_none_never_zero() -> None:
    reading = decode([], RFC1628)

    assert reading.reachable
    assert reading.charge_pct is None
    assert reading.seconds_on_battery is None
    assert reading.input == reading.output == reading.bypass == ()
    assert reading.alarms == ()


@pytest.mark.parametrize("exception", [NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW, None])
def test_snmp_exception_values_decode_to_none_without_a_note(
    exception: SnmpException | None,
) -> None:
    reading = decode(
        [(s(mib.UPS_ESTIMATED_CHARGE_REMAINING), exception), (s(mib.UPS_OUTPUT_SOURCE), 5)],
        RFC1628,
    )

    assert reading.charge_pct is None
    assert reading.output_source == OutputSource.BATTERY
    assert reading.notes == ()


def test_an_exception_at_oid_dot_zero_falls_back_to_the_bare_scalar() -> None:
    obj = mib.UPS_ESTIMATED_CHARGE_REMAINING

    reading = decode([(s(obj), NO_SUCH_INSTANCE), (obj, 77)], RFC1628)

    assert reading.charge_pct == 77


@pytest.mark.parametrize(
    ("obj", "value", "field"),
    [
        (mib.UPS_ESTIMATED_CHARGE_REMAINING, b"95", "charge_pct"),
        (mib.UPS_BATTERY_STATUS, (1, 3, 6), "battery_status"),
        (mib.UPS_IDENT_MODEL, 42, "model"),
        (mib.SYS_OBJECT_ID, b"1.3.6", "sys_object_id"),
        (mib.UPS_INPUT_LINE_BADS, True, "input_line_bads"),
    ],
)
def test_a_value_of_the_wrong_type_is_none_plus_a_note(
    obj: tuple[int, ...], value: DecodedValue, field: str
) -> None:
    reading = decode([(s(obj), value)], RFC1628)

    assert getattr(reading, field) is None
    assert len(reading.notes) == 1
    assert reading.notes[0].startswith(f"{field}: {mib.dotted(s(obj))}")


def test_an_enum_value_outside_the_mib_is_none_plus_a_note() -> None:
    reading = decode([(s(mib.UPS_OUTPUT_SOURCE), 9)], RFC1628)

    assert reading.output_source is None
    assert reading.notes == ("output_source: 1.3.6.1.2.1.33.1.4.1.0 has unknown value 9",)


def test_a_wrong_type_in_one_table_cell_leaves_the_other_cells_intact() -> None:
    reading = decode(
        [
            ((*mib.UPS_OUTPUT_VOLTAGE, 1), 230),
            ((*mib.UPS_OUTPUT_VOLTAGE, 2), b"junk"),
            ((*mib.UPS_OUTPUT_PERCENT_LOAD, 2), 40),
        ],
        RFC1628,
    )

    assert reading.output == (
        OutputLine(voltage_v=230),
        OutputLine(voltage_v=None, load_pct=40),
    )
    assert len(reading.notes) == 1


def test_strings_are_decoded_and_trimmed_and_empty_means_not_reported() -> None:
    reading = decode(
        [
            (s(mib.UPS_IDENT_MANUFACTURER), b"Eaton\x00\x00"),
            (s(mib.UPS_IDENT_MODEL), b"  "),
            (s(mib.UPS_IDENT_NAME), "Serveur \u00e9t\u00e9".encode()),
            (s(mib.UPS_IDENT_UPS_SOFTWARE_VERSION), b"\xff\xfe v1"),
        ],
        RFC1628,
    )

    assert reading.manufacturer == "Eaton"
    assert reading.model is None
    assert reading.ident_name == "Serveur \u00e9t\u00e9"
    assert reading.ups_software_version == "\ufffd\ufffd v1"


class TestLineCount:
    def test_num_lines_wins_and_missing_rows_are_lines_of_none(self) -> None:
        reading = decode(
            [(s(mib.UPS_OUTPUT_NUM_LINES), 3), ((*mib.UPS_OUTPUT_VOLTAGE, 1), 230)], RFC1628
        )

        assert reading.output == (OutputLine(voltage_v=230), OutputLine(), OutputLine())

    def test_without_num_lines_the_rows_present_give_the_count(self) -> None:
        reading = decode([((*mib.UPS_INPUT_VOLTAGE, 2), 231)], RFC1628)

        assert reading.input == (InputLine(), InputLine(voltage_v=231))

    def test_rows_beyond_the_declared_count_are_dropped_with_a_note(self) -> None:
        reading = decode(
            [
                (s(mib.UPS_INPUT_NUM_LINES), 1),
                ((*mib.UPS_INPUT_VOLTAGE, 1), 230),
                ((*mib.UPS_INPUT_VOLTAGE, 2), 231),
            ],
            RFC1628,
        )

        assert reading.input == (InputLine(voltage_v=230),)
        assert reading.notes == ("input: rows [2] beyond the declared 1 line(s) were ignored",)

    def test_a_single_row_indexed_zero_is_line_one(self) -> None:
        reading = decode([((*mib.UPS_OUTPUT_VOLTAGE, 0), 229)], RFC1628)

        assert reading.output == (OutputLine(voltage_v=229),)

    def test_an_absurd_line_count_is_capped_with_a_note(self) -> None:
        reading = decode([(s(mib.UPS_BYPASS_NUM_LINES), 100000)], RFC1628)

        assert len(reading.bypass) == 16
        assert "implausible" in reading.notes[0]


class TestAlarms:
    def test_well_known_alarms_are_named_in_alarm_id_order(self) -> None:
        reading = decode(
            [
                ((*mib.UPS_ALARM_DESCR, 7), LOW_BATTERY),
                ((*mib.UPS_ALARM_DESCR, 3), ON_BATTERY),
                ((*mib.UPS_ALARM_TIME, 3), 1000),
            ],
            RFC1628,
        )

        assert reading.alarms == ("OnBattery", "LowBattery")
        assert reading.on_battery

    def test_every_well_known_alarm_has_its_rfc_name(self) -> None:
        varbinds = [
            ((*mib.UPS_ALARM_DESCR, n), (*mib.UPS_WELL_KNOWN_ALARMS, n)) for n in range(1, 25)
        ]

        alarms = decode(varbinds, RFC1628).alarms

        assert alarms[0] == "BatteryBad"
        assert alarms[23] == "TestInProgress"
        assert len(set(alarms)) == 24

    def test_an_unknown_alarm_oid_is_kept_as_its_dotted_string(self) -> None:
        vendor_alarm = (1, 3, 6, 1, 4, 1, 1356, 1, 6, 3, 177)

        reading = decode([((*mib.UPS_ALARM_DESCR, 1), vendor_alarm)], RFC1628)

        assert reading.alarms == ("1.3.6.1.4.1.1356.1.6.3.177",)

    def test_an_alarm_descr_that_is_not_an_oid_is_skipped_with_a_note(self) -> None:
        reading = decode(
            [((*mib.UPS_ALARM_DESCR, 1), b"OnBattery"), ((*mib.UPS_ALARM_DESCR, 2), ON_BATTERY)],
            RFC1628,
        )

        assert reading.alarms == ("OnBattery",)
        assert len(reading.notes) == 1

    def test_the_same_alarm_twice_is_reported_once(self) -> None:
        reading = decode(
            [((*mib.UPS_ALARM_DESCR, 1), ON_BATTERY), ((*mib.UPS_ALARM_DESCR, 2), ON_BATTERY)],
            RFC1628,
        )

        assert reading.alarms == ("OnBattery",)


class TestOverrides:
    VARBINDS = [
        (s(mib.UPS_ESTIMATED_MINUTES_REMAINING), 1800),
        (s(mib.UPS_BATTERY_TEMPERATURE), 25),
        ((*mib.UPS_INPUT_VOLTAGE, 1), 2301),
    ]

    @pytest.mark.parametrize(
        ("overrides", "field", "expected"),
        [
            ({}, "runtime_remaining_s", 108000),
            ({"runtime_remaining_s": {"scale": 1}}, "runtime_remaining_s", 1800),
            ({"runtime_remaining_s": {"scale": "1"}}, "runtime_remaining_s", 1800),
            ({"battery_temperature_c": {"offset": -5}}, "battery_temperature_c", 20),
            ({"battery_temperature_c": {"scale": 2, "offset": 1}}, "battery_temperature_c", 51),
            ({"battery_temperature_c": {"ignore": True}}, "battery_temperature_c", None),
            ({"battery_temperature_c": {"ignore": False}}, "battery_temperature_c", 25),
        ],
    )
    def test_scale_offset_and_ignore_change_only_their_field(
        self, overrides: dict[str, dict[str, Any]], field: str, expected: float | None
    ) -> None:
        reading = decode(self.VARBINDS, apply_overrides(RFC1628, overrides))

        assert getattr(reading, field) == expected

    def test_a_table_field_override_applies_to_every_line(self) -> None:
        profile = apply_overrides(RFC1628, {"input.voltage_v": {"scale": 0.1}})

        reading = decode(self.VARBINDS, profile)

        assert reading.input == (InputLine(voltage_v=230.1),)
        assert profile.overrides == {"input.voltage_v": {"scale": 0.1}}

    def test_the_registered_profile_is_not_modified(self) -> None:
        apply_overrides(RFC1628, {"charge_pct": {"ignore": True}})

        assert decode([(s(mib.UPS_ESTIMATED_CHARGE_REMAINING), 50)], RFC1628).charge_pct == 50


def test_explicit_sys_object_id_and_uptime_win_over_the_varbinds() -> None:
    reading = decode(
        [(s(mib.SYS_OBJECT_ID), (1, 3, 6, 1, 4, 1, 318)), (s(mib.SYS_UPTIME), 100)],
        RFC1628,
        sys_object_id="1.3.6.1.4.1.534.1",
        sys_uptime_s=7.0,
        notes=["walk stopped"],
    )

    assert reading.sys_object_id == "1.3.6.1.4.1.534.1"
    assert reading.sys_uptime_s == 7.0
    assert reading.notes == ("walk stopped",)


def test_a_reading_round_trips_through_as_dict() -> None:
    data = decode(plain(ups_mib(phases=3, alarms=[ON_BATTERY])), RFC1628).as_dict()

    assert data["battery_status"] == "normal"
    assert data["alarms"] == ["OnBattery"]
    assert len(data["output"]) == 3
