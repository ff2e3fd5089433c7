"""The UPS limit on every path that adds or enables a UPS, and what expiry does not do."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from licensing import service
from licensing.service import LicenceLimitError
from monitoring.inventory import Action, import_file
from monitoring.models import Ups
from tests.factories import AdminFactory, SiteFactory, UpsFactory
from tests.licensing.conftest import Issue
from tests.security.conftest import management_forms

pytestmark = pytest.mark.django_db


def _fill(n: int, **kwargs: Any) -> list[Ups]:
    return [UpsFactory.create(**kwargs) for _ in range(n)]


def test_free_tier_allows_25() -> None:
    _fill(25)
    with pytest.raises(LicenceLimitError, match="25 of 25 UPSs are monitored"):
        UpsFactory.create()
    assert Ups.objects.filter(enabled=True).count() == 25


def test_disabled_upses_do_not_count_and_can_be_added() -> None:
    _fill(25)
    spare = UpsFactory.create(enabled=False)
    assert service.status().usage == "25 of 25 UPSs"
    spare.enabled = True
    with pytest.raises(LicenceLimitError):
        spare.save()
    Ups.objects.filter(enabled=True).first().delete()  # type: ignore[union-attr]
    spare.save()  # room again


def test_installed_licence_raises_the_limit(issue: Issue) -> None:
    service.install(issue(tier="50"))
    _fill(26)
    assert service.status().usage == "26 of 50 UPSs"


def test_admin_add_beyond_the_limit_is_a_form_error(client: Client) -> None:
    _fill(25)
    client.force_login(AdminFactory.create())
    site = SiteFactory.create()
    response = client.post(
        "/admin/monitoring/ups/add/",
        {
            **management_forms(client, "/admin/monitoring/ups/add/"),
            "name": "ups-26",
            "site": site.pk,
            "enabled": "on",
            "host": "127.109.9.9",
            "port": 161,
            "snmp_version": "2c",
            "community": "s3cret-community",
            "poll_interval_s": 30,
            "profile": "",
            "profile_overrides": "{}",
            "threshold_overrides": "{}",
        },
    )
    assert response.status_code == 200
    assert "Licence limit reached: 25 of 25 UPSs are monitored" in response.content.decode()
    assert not Ups.objects.filter(name="ups-26").exists()


def test_admin_enabling_a_disabled_ups_beyond_the_limit(client: Client) -> None:
    _fill(25)
    spare = UpsFactory.create(enabled=False)
    client.force_login(AdminFactory.create())
    data = {
        "name": spare.name,
        "site": spare.site_id,
        "enabled": "on",
        "host": spare.host,
        "port": spare.port,
        "snmp_version": "2c",
        "community": "",
        "poll_interval_s": 30,
        "profile": "",
        "profile_overrides": "{}",
        "threshold_overrides": "{}",
    }
    response = client.post(
        f"/admin/monitoring/ups/{spare.pk}/change/",
        {**management_forms(client, f"/admin/monitoring/ups/{spare.pk}/change/"), **data},
    )
    assert "Licence limit reached" in response.content.decode()
    spare.refresh_from_db()
    assert not spare.enabled
    # Editing an already monitored UPS is never blocked, even at the limit.
    monitored = Ups.objects.filter(enabled=True).first()
    assert monitored is not None
    data.update(
        name=monitored.name,
        site=monitored.site_id,
        host=monitored.host,
        port=monitored.port,
        notes="moved to rack 4",
    )
    url = f"/admin/monitoring/ups/{monitored.pk}/change/"
    response = client.post(url, {**management_forms(client, url), **data})
    assert response.status_code == 302
    monitored.refresh_from_db()
    assert monitored.notes == "moved to rack 4"


def test_import_rejects_the_rows_beyond_the_limit(tmp_path: Path) -> None:
    _fill(23)
    lines = ["site,name,host,port,snmp_version,community,enabled"]
    lines += [f"Paris,imp-{i},10.1.0.{i},161,2c,s3cret,yes" for i in range(1, 5)]
    lines += ["Paris,imp-spare,127.101.0.9,161,2c,s3cret,no"]
    path = tmp_path / "fleet.csv"
    path.write_text("\n".join(lines) + "\n")
    report = import_file(path)
    actions = [r.action for r in report.results]
    assert actions == [
        Action.CREATED,
        Action.CREATED,
        Action.REJECTED,
        Action.REJECTED,
        Action.CREATED,
    ]
    assert "Licence limit reached: 25 of 25 UPSs are monitored" in report.results[2].detail
    assert "s3cret" not in report.results[2].detail
    assert Ups.objects.filter(enabled=True).count() == 25


def test_import_dry_run_reports_the_same(tmp_path: Path) -> None:
    _fill(25)
    path = tmp_path / "fleet.csv"
    path.write_text(
        "site,name,host,port,snmp_version,community\nParis,x,127.101.0.1,161,2c,s3cret\n"
    )
    report = import_file(path, dry_run=True)
    assert report.results[0].action is Action.REJECTED


def test_import_enabling_an_existing_ups_beyond_the_limit(tmp_path: Path) -> None:
    _fill(25)
    spare = UpsFactory.create(enabled=False)
    path = tmp_path / "fleet.csv"
    path.write_text(
        "site,name,host,port,snmp_version,community,enabled\n"
        f"{spare.site.name},{spare.name},{spare.host},{spare.port},2c,,yes\n"
    )
    report = import_file(path)
    assert report.results[0].action is Action.REJECTED
    spare.refresh_from_db()
    assert not spare.enabled


def test_no_bulk_enable_paths() -> None:
    # QuerySet.update() and bulk_create() skip the model-level guard: no shipped path may
    # add or enable UPSs that way.
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("monitoring", "alarms", "api", "notifications", "accounts", "licensing"):
        for source in (root / package).rglob("*.py"):
            text = source.read_text()
            if "update(enabled=True" in text or "Ups.objects.bulk_create" in text:
                offenders.append(str(source.relative_to(root)))
    assert offenders == []


def test_expiry_never_stops_monitoring(issue: Issue) -> None:
    today = dt.date.today()
    service.install(
        issue(tier="50", issued=today - dt.timedelta(days=40), expires=today + dt.timedelta(days=3))
    )
    upses = _fill(40)
    # Expired (the stored key is read with a later "today"):
    later = service.status(today + dt.timedelta(days=10))
    assert later.expired
    assert later.limit == 25
    assert later.used == 40
    assert later.over_limit
    assert later.excess == 15
    # Nothing was disabled or deleted by looking at it, and nothing is by the check:
    assert Ups.objects.filter(enabled=True).count() == 40
    assert all(Ups.objects.get(pk=u.pk).enabled for u in upses)


def test_downgrade_blocks_additions_but_keeps_the_fleet(issue: Issue) -> None:
    service.install(issue(tier="150"))
    _fill(30)
    service.install(issue(tier="50"))
    service.install(issue(tier="50", licensee="smaller"))
    assert service.status().usage == "30 of 50 UPSs"
    from licensing.models import LicenceState

    LicenceState.objects.filter(pk=1).update(key="")  # back to free: 30 > 25
    with pytest.raises(LicenceLimitError, match="disable 6 UPSs first"):
        UpsFactory.create()
    assert Ups.objects.filter(enabled=True).count() == 30
    # Changing a monitored UPS's other fields still works while over the limit.
    ups = Ups.objects.filter(enabled=True).first()
    assert ups is not None
    ups.notes = "still monitored"
    ups.save()


def test_expired_key_in_place_gives_a_precise_message(issue: Issue) -> None:
    from licensing.models import LicenceState

    expired = issue(tier="50", expires=dt.date.today() - dt.timedelta(days=1))
    LicenceState.objects.filter(pk=1).update(key=expired)  # installed while it was valid
    _fill(25)
    with pytest.raises(LicenceLimitError, match="licence has expired, so the free tier"):
        UpsFactory.create()


# --- The race: two administrators add the 25th UPS at once --------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_additions_of_the_last_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the row lock is PostgreSQL's; SQLite serialises with IMMEDIATE")
    _fill(24)
    site = SiteFactory.create()
    counted = service.monitored_count
    both_counted = threading.Barrier(2, timeout=5)

    def slow_count(exclude_pk: int | None = None) -> int:
        # Widen the window between counting and inserting: without the lock both threads
        # would count 24 here and both insert.
        result = counted(exclude_pk)
        # Broken (timeout) with the lock: the other thread is waiting for it, as it should.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_counted.wait(timeout=1)
        time.sleep(0.2)
        return result

    monkeypatch.setattr(service, "monitored_count", slow_count)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def add(n: int) -> None:
        start.wait()
        try:
            with transaction.atomic():
                Ups.objects.create(
                    name=f"race-{n}", site=site, host=f"10.77.0.{n}", port=161, community="c"
                )
            outcomes.append("added")
        except LicenceLimitError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["added", "refused"]
    assert Ups.objects.filter(enabled=True).count() == 25


def test_install_licence_command(issue: Issue) -> None:
    out = io.StringIO()
    call_command("install_licence", issue(tier="150", licensee="Bank"), stdout=out)
    assert "installed: 150 UPSs licence for Bank (no expiry)" in out.getvalue()
    assert "0 of 150 UPSs" in out.getvalue()
    from accounts.models import AuditAction, AuditEntry

    entry = AuditEntry.objects.get(action=AuditAction.LICENCE)
    assert entry.actor_name.startswith("os:")
    assert entry.source == "install_licence"
    assert entry.changes["licence"] == ["Free", "150 UPSs licence for Bank (no expiry)"]


def test_install_licence_command_refuses_with_the_reason(issue: Issue) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="for another product"):
        call_command("install_licence", issue(product="other"))
    assert service.status().licence is None
