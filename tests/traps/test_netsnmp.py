"""net-snmp's `snmptrap`/`snmpinform` → the receiver: a second, independent encoder.

net-snmp sends from 127.0.0.1, so the UPS here lives at 127.0.0.1. Skipped only when the
tools are missing and UNMS_REQUIRE_NETSNMP is unset (CI sets it: a missing tool fails).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from monitoring.models import Trap, Ups
from monitoring.traps.events import TrapKind
from monitoring.traps.receiver import ReceiverThread
from tests.traps import steps
from tests.traps.helpers import wait_for

HAVE_TOOLS = bool(shutil.which("snmptrap") and shutil.which("snmpinform"))

pytestmark = [
    pytest.mark.netsnmp,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not HAVE_TOOLS and not os.environ.get("UNMS_REQUIRE_NETSNMP"),
        reason="net-snmp's snmptrap/snmpinform not installed",
    ),
]

ALARM_DESCR_1 = "1.3.6.1.2.1.33.1.6.2.1.2.1"
LOW_BATTERY = "1.3.6.1.2.1.33.1.6.3.3"


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    # MIBS empty: numeric OIDs only, no MIB parsing noise on stderr.
    env = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
    return subprocess.run(
        [tool, *args], capture_output=True, text=True, timeout=20, env=env, check=False
    )


@pytest.fixture
def receiver(
    start_receiver: Callable[..., ReceiverThread], make_ups: Callable[..., Ups], after_traps: Any
) -> tuple[ReceiverThread, Ups, str]:
    ups = make_ups("UPS-NET", "127.0.0.1", trap_community="netsnmp-traps")
    thread = start_receiver()
    assert thread.address is not None
    return thread, ups, f"127.0.0.1:{thread.address[1]}"


def test_snmptrap_v2c_both_forms(receiver: tuple[ReceiverThread, Ups, str]) -> None:
    _, ups, target = receiver
    for trap_oid in ("1.3.6.1.2.1.33.2.1", "1.3.6.1.2.1.33.2.0.1"):
        done = run(
            "snmptrap", "-v", "2c", "-c", "netsnmp-traps", target, "", trap_oid,
            "1.3.6.1.2.1.33.1.2.3.0", "i", "12",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    wait_for(lambda: len(steps.recorded()) == 2)
    rows = list(Trap.objects.order_by("id"))
    assert {(r.ups_id, r.version, r.trap_oid, r.kind) for r in rows} == {
        (ups.pk, "2c", "1.3.6.1.2.1.33.2.1", TrapKind.ON_BATTERY)
    }
    assert rows[0].varbinds["1.3.6.1.2.1.33.1.2.3.0"] == 12


def test_snmptrap_v1(receiver: tuple[ReceiverThread, Ups, str]) -> None:
    _, ups, target = receiver
    done = run(
        "snmptrap", "-v", "1", "-c", "netsnmp-traps", target, "1.3.6.1.2.1.33.2", "127.0.0.1",
        "6", "3", "", ALARM_DESCR_1, "o", LOW_BATTERY,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    event = wait_for(lambda: steps.recorded())[0]
    assert (event.ups_id, event.kind, event.alarm) == (ups.pk, TrapKind.ALARM_ADDED, "LowBattery")
    assert Trap.objects.get().version == "1"


def test_snmpinform_is_acknowledged(receiver: tuple[ReceiverThread, Ups, str]) -> None:
    _, ups, target = receiver
    # snmpinform exits non-zero when no Response comes back (-r 0: no retry to hide it).
    done = run(
        "snmpinform", "-v", "2c", "-c", "netsnmp-traps", "-t", "3", "-r", "0", target, "",
        "1.3.6.1.2.1.33.2.4", ALARM_DESCR_1, "o", LOW_BATTERY,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    event = wait_for(lambda: steps.recorded())[0]
    assert (event.ups_id, event.kind, event.alarm) == (
        ups.pk,
        TrapKind.ALARM_REMOVED,
        "LowBattery",
    )
    assert Trap.objects.get().inform


def test_snmptrap_wrong_community(receiver: tuple[ReceiverThread, Ups, str]) -> None:
    _, ups, target = receiver
    done = run("snmptrap", "-v", "2c", "-c", "public", target, "", "1.3.6.1.2.1.33.2.1")
    assert done.returncode == 0, done.stderr
    row = wait_for(lambda: Trap.objects.first())
    assert (row.ups_id, row.community_ok) == (ups.pk, False)
    assert steps.recorded() == []
