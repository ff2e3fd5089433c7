from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError

from monitoring import inventory
from monitoring.models import Region, Site, Ups
from tests.factories import RegionFactory, SiteFactory, UpsFactory
from tests.inventory.conftest import SECRET, TRAP_SECRET, run_import

pytestmark = pytest.mark.django_db

CsvFile = Callable[..., Path]

HEADER = "site,name,host,port,snmp_version,community"


def inventory_state() -> list[tuple[Any, ...]]:
    """Everything an import may write, to compare before and after."""
    return [
        *Region.objects.values_list(),
        *Site.objects.values_list(),
        *Ups.objects.order_by("pk").values_list(),
    ]


class TestHappyPath:
    def test_a_new_file_creates_its_regions_sites_and_upss(self, csv_file: CsvFile) -> None:
        path = csv_file(f"""
            {HEADER},region
            Paris,ups-par-1,127.100.0.1,161,2c,{SECRET},Europe
            Paris,ups-par-2,127.100.0.2,161,2c,{SECRET},Europe
            Boston,ups-bos-1,ups-bos-1.example.net,1161,1,{SECRET},
        """)

        run = run_import(path)

        assert run.code == 0, run.err
        assert "created 3, updated 0, unchanged 0, rejected 0" in run.out
        assert "line 2: created ups-par-1 (127.100.0.1:161 at site Paris" in run.out
        paris = Site.objects.get(name="Paris")
        assert paris.region == Region.objects.get(name="Europe")
        assert Site.objects.get(name="Boston").region is None
        assert set(paris.upses.values_list("name", flat=True)) == {"ups-par-1", "ups-par-2"}
        bos = Ups.objects.get(name="ups-bos-1")
        assert (bos.host, bos.port, bos.snmp_version, bos.community) == (
            "ups-bos-1.example.net",
            1161,
            "1",
            SECRET,
        )

    def test_the_optional_columns_are_stored(self, csv_file: CsvFile) -> None:
        cells = {
            "region": "Europe",
            "trap_community": TRAP_SECRET,
            "poll_interval_s": "60",
            "enabled": "no",
            "notes": '"Room 2, rack A"',
            "model": "Galaxy 300",
            "serial_number": "SN-42",
            "rated_va": "10000",
            "installed_on": "2021-03-04",
            "battery_installed_on": "2024-05-06",
            "site_description": '"12 rue X, badge at desk"',
        }
        path = csv_file(
            f"{HEADER},{','.join(cells)}\n"
            f"Paris,ups-1,127.100.0.1,161,2c,{SECRET},{','.join(cells.values())}\n"
        )

        run = run_import(path)

        assert run.code == 0, run.err
        ups = Ups.objects.select_related("site").get()
        assert ups.trap_community == TRAP_SECRET
        assert ups.poll_interval_s == 60
        assert ups.enabled is False
        assert ups.notes == "Room 2, rack A"
        assert (ups.model, ups.serial_number, ups.rated_va) == ("Galaxy 300", "SN-42", 10000)
        assert ups.installed_on == datetime.date(2021, 3, 4)
        assert ups.battery_installed_on == datetime.date(2024, 5, 6)
        assert ups.site.description == "12 rue X, badge at desk"

    def test_missing_optional_columns_give_the_model_defaults(self, csv_file: CsvFile) -> None:
        run_import(csv_file(f"{HEADER}\nParis,ups-1,127.100.0.1,161,2c,{SECRET}\n"))
        ups = Ups.objects.get()
        assert ups.enabled is True
        assert ups.poll_interval_s == 30
        assert ups.trap_community == ""
        assert ups.notes == ""

    def test_existing_sites_and_regions_are_reused_by_name(self, csv_file: CsvFile) -> None:
        site = SiteFactory.create(name="Paris", region=RegionFactory.create(name="Europe"))
        run = run_import(
            csv_file(f"{HEADER},region\nParis,ups-1,127.100.0.1,161,2c,{SECRET},Europe\n")
        )
        assert run.code == 0, run.err
        assert Ups.objects.get().site == site
        assert Site.objects.count() == 1
        assert Region.objects.count() == 1

    def test_spreadsheet_habits_are_understood(self, csv_file: CsvFile, tmp_path: Path) -> None:
        # Excel in a comma-decimal locale: byte order mark, ";" and capitalised headers.
        path = tmp_path / "excel.csv"
        text = (
            "Site;Name;Host;Port;SNMP Version;Community;Enabled\r\n"
            f"Paris;ups-1;127.100.0.1;161;V2C;{SECRET};Yes\r\n"
        )
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())

        run = run_import(path)

        assert run.code == 0, run.err
        assert Ups.objects.get().snmp_version == "2c"

    def test_a_file_with_only_a_header_imports_nothing_and_says_so(self, csv_file: CsvFile) -> None:
        run = run_import(csv_file(f"{HEADER}\n"))
        assert run.code == 0
        assert "no data rows" in run.err
        assert "created 0, updated 0, unchanged 0, rejected 0" in run.out


class TestIdempotency:
    def test_importing_the_same_file_again_changes_nothing(self, csv_file: CsvFile) -> None:
        path = csv_file(f"""
            {HEADER},region,trap_community,enabled,installed_on,rated_va,site_description
            Paris,ups-1,127.100.0.1,161,2c,{SECRET},Europe,{TRAP_SECRET},yes,2021-03-04,3000,HQ
            Paris,ups-2,127.100.0.2,161,v1,{SECRET},Europe,,no,,,
        """)
        run_import(path)
        before = inventory_state()

        run = run_import(path)

        assert run.code == 0, run.err
        assert "created 0, updated 0, unchanged 2, rejected 0" in run.out
        assert inventory_state() == before  # updated_at included: nothing was saved

    def test_unchanged_rows_are_listed_only_when_verbose(self, csv_file: CsvFile) -> None:
        path = csv_file(f"{HEADER}\nParis,ups-1,127.100.0.1,161,2c,{SECRET}\n")
        run_import(path)
        assert "ups-1" not in run_import(path).out
        assert "line 2: unchanged ups-1" in run_import(path, "-v", "2").out


class TestUpdates:
    def test_a_ups_is_found_by_host_and_port_and_updated(self, csv_file: CsvFile) -> None:
        ups = UpsFactory.create(name="old-name", host="127.100.0.1", port=161, poll_interval_s=30)
        path = csv_file(f"""
            {HEADER},poll_interval_s
            Lyon,new-name,127.100.0.1,161,2c,{SECRET},60
        """)

        run = run_import(path)

        assert run.code == 0, run.err
        assert "created 0, updated 1, unchanged 0, rejected 0" in run.out
        assert (
            "line 2: updated new-name (changed: name, community, poll_interval_s, site" in run.out
        )
        ups.refresh_from_db()
        assert (ups.name, ups.poll_interval_s, ups.site.name) == ("new-name", 60, "Lyon")
        assert Ups.objects.count() == 1

    def test_empty_optional_cells_keep_the_stored_values(self, csv_file: CsvFile) -> None:
        ups = UpsFactory.create(
            host="127.100.0.1", port=161, notes="keep me", rated_va=3000, enabled=False
        )
        path = csv_file(f"""
            {HEADER},notes,rated_va,enabled
            {ups.site.name},{ups.name},127.100.0.1,161,2c,{SECRET},,,
        """)

        run_import(path)

        ups.refresh_from_db()
        assert (ups.notes, ups.rated_va, ups.enabled) == ("keep me", 3000, False)

    def test_an_empty_community_keeps_the_stored_ones(self, csv_file: CsvFile) -> None:
        ups = UpsFactory.create(
            host="127.100.0.1", port=161, community=SECRET, trap_community=TRAP_SECRET
        )
        path = csv_file(f"""
            {HEADER},trap_community,notes
            {ups.site.name},{ups.name},127.100.0.1,161,2c,,,new notes
        """)

        run = run_import(path)

        assert run.code == 0, run.err
        ups.refresh_from_db()
        assert (ups.community, ups.trap_community, ups.notes) == (SECRET, TRAP_SECRET, "new notes")

    def test_a_new_community_replaces_the_stored_one_and_is_named_not_shown(
        self, csv_file: CsvFile
    ) -> None:
        ups = UpsFactory.create(host="127.100.0.1", port=161, community="old-community")
        path = csv_file(f"{HEADER}\n{ups.site.name},{ups.name},127.100.0.1,161,2c,{SECRET}\n")

        run = run_import(path)

        assert "changed: community" in run.out
        assert SECRET not in run.text
        ups.refresh_from_db()
        assert ups.community == SECRET

    def test_a_site_gets_the_region_and_description_of_the_file(self, csv_file: CsvFile) -> None:
        ups = UpsFactory.create(host="127.100.0.1", port=161, community=SECRET, site__name="Paris")
        path = csv_file(f"""
            {HEADER},region,site_description
            Paris,{ups.name},127.100.0.1,161,2c,{SECRET},Europe,HQ
        """)

        run = run_import(path)

        assert "changed: site Paris region, new region Europe, site Paris description" in run.out
        site = Site.objects.get(name="Paris")
        assert (site.region.name if site.region else None, site.description) == ("Europe", "HQ")

    def test_a_disabled_ups_can_be_enabled_again(self, csv_file: CsvFile) -> None:
        ups = UpsFactory.create(host="127.100.0.1", port=161, community=SECRET, enabled=False)
        path = csv_file(f"{HEADER},enabled\n{ups.site.name},{ups.name},127.100.0.1,161,2c,,1\n")
        run = run_import(path)
        assert "changed: enabled" in run.out
        ups.refresh_from_db()
        assert ups.enabled is True


class TestRejectedRows:
    def test_an_invalid_row_is_reported_by_line_and_the_others_are_imported(
        self, csv_file: CsvFile
    ) -> None:
        path = csv_file(f"""
            {HEADER}
            Paris,ups-1,127.100.0.1,161,2c,{SECRET}
            Paris,ups-2,127.100.0.2,70000,2c,{SECRET}
            Paris,ups-3,127.100.0.3,161,2c,{SECRET}
        """)

        run = run_import(path)

        assert run.code == 1
        assert "line 3: port: Ensure this value is less than or equal to 65535." in run.err
        assert "created 2, updated 0, unchanged 0, rejected 1" in run.out
        assert set(Ups.objects.values_list("name", flat=True)) == {"ups-1", "ups-3"}

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"host": "not a host"}, "host: Enter an IP address or a host name"),
            ({"port": "abc"}, "port: Enter a whole number."),
            ({"port": "0"}, "port: Ensure this value is greater than or equal to 1."),
            ({"snmp_version": "3"}, "snmp_version: Select a valid SNMP version: 1 or 2c."),
            ({"snmp_version": ""}, "snmp_version: This field is required."),
            ({"community": ""}, "community: This field is required."),
            ({"site": ""}, "site: This field is required."),
            ({"name": ""}, "name: This field is required."),
            ({"host": ""}, "host: This field is required."),
            ({"poll_interval_s": "2"}, "poll_interval_s: Ensure this value is greater"),
            ({"enabled": "maybe"}, "enabled: Enter yes or no"),
            ({"installed_on": "04/03/2021"}, "installed_on: Enter the date as YYYY-MM-DD."),
            ({"battery_installed_on": "2021-02-30"}, "battery_installed_on: Enter the date"),
            ({"rated_va": "-5"}, "rated_va: Ensure this value is greater than or equal to 0."),
            ({"name": "x" * 101}, "name: Ensure this value has at most 100 characters"),
            ({"site": "P" * 101}, "site: Ensure this value has at most 100 characters"),
            ({"region": "R" * 101}, "region: Ensure this value has at most 100 characters"),
        ],
    )
    def test_a_bad_row_is_rejected_with_its_reason(
        self, csv_file: CsvFile, changes: dict[str, str], reason: str
    ) -> None:
        good = {
            "site": "Paris",
            "name": "ups-x",
            "host": "127.100.0.9",
            "port": "161",
            "snmp_version": "2c",
            "community": "community",
            "region": "",
            "poll_interval_s": "",
            "enabled": "",
            "installed_on": "",
            "battery_installed_on": "",
            "rated_va": "",
        }
        bad = {**good, **changes}
        path = csv_file(
            f"{','.join(good)}\n"
            "Paris,ups-ok,127.100.0.1,161,2c,community,,,,,,\n"
            f"{','.join(bad.values())}\n"
        )

        run = run_import(path)

        assert run.code == 1
        assert f"line 3: {reason}" in run.err
        assert "created 1, updated 0, unchanged 0, rejected 1" in run.out
        assert list(Ups.objects.values_list("name", flat=True)) == ["ups-ok"]

    @pytest.mark.parametrize(
        ("row", "reason"),
        [
            ("Paris,ups-x,127.100.0.9,161,2c", "the row has 5 fields, the header has 6"),
            ("Paris,ups-x,127.100.0.9,161,2c,c,surplus", "the row has 7 fields, the header has 6"),
        ],
    )
    def test_a_row_with_the_wrong_number_of_fields_is_rejected(
        self, csv_file: CsvFile, row: str, reason: str
    ) -> None:
        run = run_import(csv_file(f"{HEADER}\n{row}\n"))
        assert f"line 2: {reason}" in run.err
        assert not Ups.objects.exists()

    def test_empty_trailing_fields_are_tolerated(self, csv_file: CsvFile) -> None:
        run = run_import(csv_file(f"{HEADER}\nParis,ups-x,127.100.0.9,161,2c,c,,\n"))
        assert run.code == 0, run.err

    def test_every_problem_of_a_row_is_reported_at_once(self, csv_file: CsvFile) -> None:
        run = run_import(csv_file(f"{HEADER}\nParis,ups-x,not a host,70000,2c,c\n"))
        assert "line 2: host: Enter an IP address or a host name (no port, no spaces); port:" in (
            run.err
        )

    def test_a_name_already_used_by_another_ups_is_rejected(self, csv_file: CsvFile) -> None:
        UpsFactory.create(name="ups-taken", host="127.100.0.1", port=161)
        run = run_import(csv_file(f"{HEADER}\nParis,ups-taken,127.100.0.2,161,2c,c\n"))
        assert "line 2: name: UPS with this Name already exists." in run.err
        assert run.code == 1

    def test_a_host_and_port_used_twice_in_the_file_rejects_the_later_row(
        self, csv_file: CsvFile
    ) -> None:
        path = csv_file(f"""
            {HEADER}
            Paris,ups-1,127.100.0.1,161,2c,c
            Paris,ups-2,127.100.0.1,161,2c,c
        """)
        run = run_import(path)
        assert "line 3: host/port: 127.100.0.1:161 is already used on line 2" in run.err
        assert list(Ups.objects.values_list("name", flat=True)) == ["ups-1"]

    def test_a_name_used_twice_in_the_file_rejects_the_later_row(self, csv_file: CsvFile) -> None:
        path = csv_file(f"""
            {HEADER}
            Paris,ups-1,127.100.0.1,161,2c,c
            Lyon,ups-1,127.100.0.2,161,2c,c
        """)
        run = run_import(path)
        assert "line 3: name: ups-1 is already used on line 2" in run.err
        assert Ups.objects.get().host == "127.100.0.1"

    def test_two_regions_for_one_site_reject_the_later_row(self, csv_file: CsvFile) -> None:
        path = csv_file(f"""
            {HEADER},region
            Paris,ups-1,127.100.0.1,161,2c,c,Europe
            Paris,ups-2,127.100.0.2,161,2c,c,
            Paris,ups-3,127.100.0.3,161,2c,c,France
        """)
        run = run_import(path)
        assert "line 4: region: line 2 gives site Paris a different region" in run.err
        assert "created 2, updated 0, unchanged 0, rejected 1" in run.out

    def test_line_numbers_count_the_lines_of_multi_line_notes(self, csv_file: CsvFile) -> None:
        path = csv_file(f"""
            {HEADER},notes
            Paris,ups-1,127.100.0.1,161,2c,c,"first line
            second line"

            Paris,ups-2,127.100.0.2,99999,2c,c,
        """)
        run = run_import(path)
        assert "line 5: port:" in run.err

    def test_a_row_the_database_refuses_costs_only_that_row(
        self, csv_file: CsvFile, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        real_save = Ups.save

        def save(self: Ups, *args: Any, **kwargs: Any) -> None:
            if self.name == "ups-2":
                # Drivers put values in their messages: the community must not leak.
                raise IntegrityError(f"simulated failure for community {self.community}")
            real_save(self, *args, **kwargs)

        monkeypatch.setattr(Ups, "save", save)
        path = csv_file(f"""
            {HEADER},region
            Paris,ups-1,127.100.0.1,161,2c,{SECRET},Europe
            Lyon,ups-2,127.100.0.2,161,2c,{SECRET},Asia
            Paris,ups-3,127.100.0.3,161,2c,{SECRET},Europe
        """)

        run = run_import(path)

        assert "line 3: the database refused the row: simulated failure for community ***" in (
            run.err
        )
        assert SECRET not in run.text
        assert set(Ups.objects.values_list("name", flat=True)) == {"ups-1", "ups-3"}
        # The row's savepoint took its new site and region with it.
        assert not Site.objects.filter(name="Lyon").exists()
        assert not Region.objects.filter(name="Asia").exists()

    def test_a_real_constraint_violation_in_the_database_costs_only_that_row(
        self, csv_file: CsvFile, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Skipping the form's unique check lets the duplicate name reach the database, as
        # a concurrent admin edit could; PostgreSQL then aborts all but the savepoint.
        monkeypatch.setattr(inventory._RowForm, "validate_unique", lambda form: None)
        UpsFactory.create(name="ups-taken", host="127.100.0.9", port=161)
        path = csv_file(f"""
            {HEADER}
            Paris,ups-1,127.100.0.1,161,2c,c
            Paris,ups-taken,127.100.0.2,161,2c,c
            Paris,ups-3,127.100.0.3,161,2c,c
        """)

        run = run_import(path)

        assert "line 3: the database refused the row:" in run.err
        assert "created 2, updated 0, unchanged 0, rejected 1" in run.out
        assert Ups.objects.filter(name__in=["ups-1", "ups-3"]).count() == 2

    def test_rejected_rows_are_logged(
        self, csv_file: CsvFile, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="monitoring.inventory")
        run_import(csv_file(f"{HEADER}\nParis,ups-1,127.100.0.1,0,2c,{SECRET}\n"))
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == [
            "inventory import: line 2: port: Ensure this value is greater than or equal to 1."
        ]
        assert "created 0, updated 0, unchanged 0, rejected 1" in caplog.text


class TestUnusableFiles:
    def test_a_missing_required_column_stops_the_import_before_any_row(
        self, csv_file: CsvFile
    ) -> None:
        run = run_import(csv_file("site,name,host,snmp_version\nParis,ups-1,127.100.0.1,2c\n"))
        assert run.code == 2
        assert "missing required column(s): port, community" in run.err
        assert not Ups.objects.exists()
        assert not Site.objects.exists()

    def test_a_file_that_is_not_utf8_is_refused(self, csv_file: CsvFile) -> None:
        path = csv_file(f"{HEADER}\nBéziers,ups-1,127.100.0.1,161,2c,c\n", encoding="latin-1")
        run = run_import(path)
        assert run.code == 2
        assert "not UTF-8" in run.err
        assert "CSV UTF-8" in run.err
        assert not Site.objects.exists()

    def test_a_binary_file_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "inventory.xlsx"
        path.write_bytes(b"site,name\x00\x00\x01\x02")
        run = run_import(path)
        assert run.code == 2
        assert "not CSV" in run.err

    def test_an_unclosed_quote_is_refused_with_its_line(self, csv_file: CsvFile) -> None:
        run = run_import(csv_file(f'{HEADER}\nParis,"ups-1,127.100.0.1,161,2c,c\n'))
        assert run.code == 2
        assert "not valid CSV" in run.err
        assert not Ups.objects.exists()

    def test_an_empty_file_is_refused(self, csv_file: CsvFile) -> None:
        run = run_import(csv_file(""))
        assert run.code == 2
        assert "empty" in run.err

    def test_a_missing_file_is_refused(self, tmp_path: Path) -> None:
        run = run_import(tmp_path / "nope.csv")
        assert run.code == 2
        assert "cannot read" in run.err

    def test_a_header_naming_a_column_twice_is_refused(self, csv_file: CsvFile) -> None:
        run = run_import(csv_file(f"{HEADER},Name\nParis,a,127.100.0.1,161,2c,c,b\n"))
        assert run.code == 2
        assert "named more than once in the header: name" in run.err

    def test_unknown_columns_are_named_in_a_warning_and_the_rows_imported(
        self, csv_file: CsvFile
    ) -> None:
        run = run_import(
            csv_file(f"{HEADER},colour,owner\nParis,ups-1,127.100.0.1,161,2c,c,red,me\n")
        )
        assert run.code == 0
        assert "warning: unknown column(s) ignored: colour, owner" in run.err
        assert Ups.objects.count() == 1


class TestDryRun:
    def test_a_dry_run_reports_what_would_change_and_writes_nothing(
        self, csv_file: CsvFile
    ) -> None:
        UpsFactory.create(name="ups-1", host="127.100.0.1", port=161, poll_interval_s=30)
        before = inventory_state()
        path = csv_file(f"""
            {HEADER},region,poll_interval_s
            Paris,ups-1,127.100.0.1,161,2c,{SECRET},Europe,60
            Paris,ups-2,127.100.0.2,161,2c,{SECRET},Europe,
            Paris,ups-3,127.100.0.3,0,2c,{SECRET},Europe,
        """)

        run = run_import(path, "--dry-run")

        assert run.code == 1
        assert "line 2: would update ups-1 (changed: community, poll_interval_s, site" in run.out
        assert "line 3: would create ups-2" in run.out
        assert "line 4: port:" in run.err
        assert "dry run, nothing written: created 1, updated 1, unchanged 0, rejected 1" in run.out
        assert inventory_state() == before

    def test_a_dry_run_sees_what_earlier_rows_would_have_done(self, csv_file: CsvFile) -> None:
        # Line 2 renames the UPS called "spare", which frees the name for line 3.
        UpsFactory.create(name="spare", host="127.100.0.1", port=161)
        path = csv_file(f"""
            {HEADER}
            Paris,ups-1,127.100.0.1,161,2c,c
            Paris,spare,127.100.0.2,161,2c,c
        """)

        run = run_import(path, "--dry-run")

        assert run.code == 0, run.err
        assert "created 1, updated 1, unchanged 0, rejected 0" in run.out
        assert list(Ups.objects.values_list("name", flat=True)) == ["spare"]


class TestCommunitiesAreNeverPrinted:
    def test_no_output_or_log_line_contains_a_community(
        self, csv_file: CsvFile, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG)
        UpsFactory.create(name="ups-taken", host="127.100.0.9", port=161)
        path = csv_file(f"""
            {HEADER},trap_community
            Paris,ups-1,127.100.0.1,161,2c,{SECRET},{TRAP_SECRET}
            Paris,ups-2,127.100.0.2,161,{SECRET},{SECRET},{TRAP_SECRET}
            Paris,ups-taken,127.100.0.3,161,2c,{SECRET},{TRAP_SECRET}
            Paris,ups-4,127.100.0.4,161,2c,{SECRET * 20},{TRAP_SECRET}
            Paris,ups-5,127.100.0.5,161,2c,{SECRET},{TRAP_SECRET},surplus
        """)

        for args in ((), ("--dry-run",)):
            run = run_import(path, *args)
            assert run.code == 1
            assert "rejected 4" in run.out
            assert SECRET not in run.text
            assert TRAP_SECRET not in run.text
        assert SECRET not in caplog.text
        assert TRAP_SECRET not in caplog.text
