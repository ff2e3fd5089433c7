from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.alarms.factories import AlarmFactory, OpenAlarmFactory
from tests.factories import SiteFactory, UpsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alarms() -> None:
    a = UpsFactory.create(name="ups-a", site=SiteFactory.create(name="Depot"))
    b = UpsFactory.create(name="ups-b")
    OpenAlarmFactory.create(ups=a)
    AlarmFactory.create(ups=a, kind="FanFailure")
    AlarmFactory.create(ups=b)


def run(*args: str) -> str:
    out = StringIO()
    call_command("alarms", *args, stdout=out)
    return out.getvalue()


def test_json_fields(alarms: None) -> None:
    rows = json.loads(run("--json"))
    assert len(rows) == 3
    required = {
        "ups",
        "site",
        "kind",
        "severity",
        "state",
        "raised_at",
        "cleared_at",
        "occurrences",
    }
    assert all(required <= row.keys() for row in rows)


def test_active_and_ups(alarms: None) -> None:
    (row,) = json.loads(run("--json", "--active", "--ups", "ups-a"))
    assert (row["ups"], row["site"], row["cleared_at"]) == ("ups-a", "Depot", None)
    assert len(json.loads(run("--json", "--ups", "ups-a"))) == 2


def test_table(alarms: None) -> None:
    lines = run("--ups", "ups-a").splitlines()
    assert lines[0].startswith("RAISED")
    assert len(lines) == 3


def test_unknown_ups() -> None:
    with pytest.raises(CommandError, match="no UPS"):
        run("--ups", "nope")
