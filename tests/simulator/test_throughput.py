"""One simulator process must answer at least 1 500 GETBULK requests per second."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from simulator.bench import run_bench
from tests.ports import free_port
from tests.simulator.conftest import fresh_address

ROOT = Path(__file__).resolve().parents[2]


def test_one_simulator_process_answers_1500_getbulks_per_second():
    base = fresh_address()
    port = free_port(base)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "run",
            "--count",
            "30",
            "--base-address",
            base,
            "--port",
            str(port),
            "--control",
            "off",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert "simulating 30 UPSs" in proc.stdout.readline()
        time.sleep(0.2)
        base_octets = [int(p) for p in base.split(".")]
        targets = [
            (".".join(map(str, [*base_octets[:3], base_octets[3] + i])), port) for i in range(10)
        ]
        result = run_bench(targets, seconds=1.5, inflight=16, max_repetitions=20, verify=True)
    finally:
        proc.terminate()
        proc.wait(10)
    assert result["requests_per_s"] >= 1500, result
    assert result["varbinds"] == 20 * result["received"]
