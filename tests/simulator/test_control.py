"""The loopback control interface and the command line."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator import SimulatorThread, make_fleet
from simulator.__main__ import main
from simulator.control import send_command
from tests.ports import free_port
from tests.simulator.conftest import fresh_address

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def controlled() -> Iterator[tuple[SimulatorThread, str]]:
    base = fresh_address()
    fleet = make_fleet(3, base, port=free_port(base))
    # Port 0: the control server is TCP, and a probed number can meanwhile be taken (in a
    # full run, by some client connection's ephemeral port).
    with SimulatorThread(fleet, control=("127.0.0.1", 0), tick_s=0.05) as sim:
        assert sim.simulator is not None
        host, port = sim.simulator.control_bound  # type: ignore[misc]
        yield sim, f"{host}:{port}"


def test_list_shows_every_ups_with_its_state(controlled: tuple[SimulatorThread, str]):
    _, control = controlled
    reply = send_command("list", control)
    assert reply["ok"] is True
    assert [u["name"] for u in reply["ups"]] == ["UPS-001", "UPS-002", "UPS-003"]
    assert {u["scenario"] for u in reply["ups"]} == {"normal"}


def test_scenario_switches_one_ups(controlled: tuple[SimulatorThread, str]):
    sim, control = controlled
    assert send_command("scenario UPS-002 mains_failure", control)["ok"] is True
    states = {s["name"]: s for s in sim.status()}
    assert states["UPS-002"]["on_battery"] is True
    assert states["UPS-001"]["on_battery"] is False


def test_quirks_speed_and_trap_commands_work(controlled: tuple[SimulatorThread, str]):
    sim, control = controlled
    assert send_command("quirks UPS-001 no_dot_zero,half", control)["ok"] is True
    assert sim.status("UPS-001")[0]["quirks"] == ["half", "no_dot_zero"]
    assert send_command("quirks UPS-001 none", control)["ok"] is True
    assert send_command("speed 12.5", control) == {"ok": True, "speed": 12.5}
    assert send_command("trap UPS-001 on_battery", control)["sent"] == 0  # no target set
    assert "mains_failure" in send_command("scenarios", control)["scenarios"]


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("", "empty command"),
        ("explode", "unknown command"),
        ("scenario UPS-001", "usage"),
        ("scenario UPS-404 normal", "no UPS named"),
        ("scenario UPS-001 meteor", "unknown scenario"),
        ("quirks UPS-001 wobbly", "unknown quirks"),
        ("trap UPS-001 fire", "unknown trap"),
        ("speed fast", "must be a number"),
        ("speed -1", "speed must be"),
    ],
)
def test_invalid_commands_get_a_clear_error_and_the_simulator_lives_on(
    controlled: tuple[SimulatorThread, str], line: str, error: str
):
    _, control = controlled
    reply = send_command(line, control)
    assert reply["ok"] is False
    assert error in reply["error"]
    assert send_command("list", control)["ok"] is True


def test_an_oversized_line_is_refused(controlled: tuple[SimulatorThread, str]):
    _, control = controlled
    reply = send_command("list " + "x" * 10_000, control)
    assert reply["ok"] is False


def test_the_ctl_command_prints_json_and_sets_the_exit_code(
    controlled: tuple[SimulatorThread, str], capsys: pytest.CaptureFixture[str]
):
    sim, control = controlled
    assert main(["ctl", "--control", control, "scenario", "UPS-003", "bypass"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"] == "bypass"
    assert sim.status("UPS-003")[0]["scenario"] == "bypass"
    assert main(["ctl", "--control", control, "scenario", "UPS-003", "meteor"]) == 1


def test_ctl_without_a_running_simulator_reports_an_error(capsys: pytest.CaptureFixture[str]):
    nobody = f"127.0.0.1:{free_port(kind=socket.SOCK_STREAM)}"
    assert main(["ctl", "--control", nobody, "list"]) == 2
    assert "error" in capsys.readouterr().err


def test_the_control_server_refuses_non_loopback_addresses():
    base = fresh_address()
    fleet = make_fleet(1, base, port=free_port(base))
    with pytest.raises(ValueError, match="loopback"):
        SimulatorThread(fleet, control="0.0.0.0:1199").start()


def test_python_m_simulator_run_serves_and_stops_on_sigterm(tmp_path: Path):
    base = fresh_address()
    port = free_port(base)
    control = f"127.0.0.1:{free_port(kind=socket.SOCK_STREAM)}"
    fleet_file = tmp_path / "fleet.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "run",
            "--count",
            "2",
            "--base-address",
            base,
            "--port",
            str(port),
            "--control",
            control,
            "--speed",
            "10",
            "--write-fleet",
            str(fleet_file),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert "simulating 2 UPSs" in banner
        assert json.loads(fleet_file.read_text())[1]["address"] != base
        assert send_command("scenario UPS-002 fault", control)["ok"] is True
        assert send_command("status UPS-002", control)["ups"][0]["alarms"] == [18]
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
