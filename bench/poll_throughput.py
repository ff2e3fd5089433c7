"""Poller throughput on loopback: how many UPSs per second, and CPU per UPS poll.

    .venv/bin/python bench/poll_throughput.py --count 25 150 1000 --rounds 3

Starts simulated UPSs in a SEPARATE process (the `simulator` package if present, else
tests/snmp/agent_fixture.py), so the figures are the poller's own CPU
(time.process_time of this process). For counts >= --schedule-min it also replays one
30 s polling period with every UPS due at its own offset and counts the late ones
(not finished within its 30 s slot). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitoring.snmp.client import Target  # noqa: E402
from monitoring.snmp.engine import PollEngine, PollJob  # noqa: E402

BASE_ADDRESS = "127.0.20.2"  # loopback only: 1000 agents fit in 127.0.20.2-127.0.23.233


@dataclass
class Agents:
    process: subprocess.Popen[str]
    endpoints: list[tuple[str, int]]
    kind: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_agents(count: int, port: int, kind: str) -> Agents:
    if kind == "simulator":
        cmd = [
            sys.executable, "-m", "simulator", "run", "--count", str(count),
            "--base-address", BASE_ADDRESS, "--port", str(port), "--control", "off",
            "--tick", "5",
        ]  # fmt: skip
    else:
        cmd = [
            sys.executable, "-m", "tests.snmp.agent_fixture", "--count", str(count),
            "--base-port", str(port),
        ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if kind == "simulator":
        if not line.startswith("simulating"):
            proc.kill()
            raise SystemExit(f"simulator did not start: {line!r}")
        import ipaddress

        first = ipaddress.IPv4Address(BASE_ADDRESS)
        endpoints = [(str(first + i), port) for i in range(count)]
    else:
        if not line.startswith("READY"):
            proc.kill()
            raise SystemExit(f"fake agents did not start: {line!r}")
        endpoints = [("127.0.0.1", p) for p in json.loads(line.split(" ", 1)[1])]
    return Agents(proc, endpoints, kind)


def make_jobs(agents: Agents, timeout_s: float, retries: int) -> list[PollJob]:
    return [
        PollJob(i, Target(host, port, timeout_s=timeout_s, retries=retries))
        for i, (host, port) in enumerate(agents.endpoints)
    ]


async def burst_rounds(engine: PollEngine, jobs: list[PollJob], rounds: int) -> list[dict]:
    results = []
    for _ in range(rounds):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        unreachable = 0
        async for _job_id, reading in engine.poll_many(jobs):
            unreachable += not reading.reachable
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        results.append({"wall": wall, "cpu": cpu, "unreachable": unreachable})
    return results


async def schedule_period(engine: PollEngine, jobs: list[PollJob], period_s: float) -> dict:
    """Every UPS due once in the period, spread evenly; late = not done within its slot."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5
    lags: list[float] = []
    durations: list[float] = []
    late = unreachable = 0
    cpu0 = time.process_time()

    async def one(index: int, job: PollJob) -> None:
        nonlocal late, unreachable
        due = start + period_s * index / len(jobs)
        await asyncio.sleep(max(0.0, due - loop.time()))
        began = loop.time()
        reading = await engine.poll_one(job)
        finished = loop.time()
        lags.append(began - due)
        durations.append(finished - began)
        late += finished - due > period_s
        unreachable += not reading.reachable

    await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs)))
    return {
        "late": late,
        "unreachable": unreachable,
        "max_start_lag_ms": max(lags) * 1000,
        "p95_poll_ms": statistics.quantiles(durations, n=20)[-1] * 1000,
        "cpu_share": (time.process_time() - cpu0) / period_s,
    }


async def run_count(args: argparse.Namespace, count: int, agents: Agents) -> dict:
    jobs = make_jobs(agents, args.timeout, args.retries)
    async with PollEngine(max_in_flight=args.max_in_flight) as engine:
        await burst_rounds(engine, jobs[: min(5, count)], 1)  # warm-up: engine, MIB, caches
        rounds = await burst_rounds(engine, jobs, args.rounds)
        sched = None
        if count >= args.schedule_min:
            sched = await schedule_period(engine, jobs, args.period)
    wall = statistics.median(r["wall"] for r in rounds)
    cpu = statistics.median(r["cpu"] for r in rounds)
    return {
        "count": count,
        "agents": agents.kind,
        "ups_per_s": count / wall,
        "cpu_ms_per_ups": cpu / count * 1000,
        "round_wall_s": wall,
        "unreachable": max(r["unreachable"] for r in rounds),
        "schedule": sched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, nargs="+", default=[25, 150, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-in-flight", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=2.0, help="per-try timeout (s)")
    parser.add_argument("--retries", type=int, default=1)
    parser.add_argument("--period", type=float, default=30.0, help="polling period (s)")
    parser.add_argument("--schedule-min", type=int, default=1000, help="replay a period from N")
    parser.add_argument("--port", type=int, default=21161)
    parser.add_argument(
        "--agents", choices=["auto", "simulator", "fake"], default="auto",
        help="who answers: the simulator package (default when present) or the test fake",
    )  # fmt: skip
    args = parser.parse_args()
    kind = args.agents
    if kind == "auto":
        kind = "simulator" if (ROOT / "simulator" / "runtime.py").exists() else "fake"

    rows = []
    for count in args.count:
        agents = start_agents(count, args.port, kind)
        try:
            rows.append(asyncio.run(run_count(args, count, agents)))
        finally:
            agents.stop()

    print(f"\npoller pid {os.getpid()}, {os.cpu_count()} CPUs, agents: {kind} (separate process)")
    print(f"{'UPSs':>6} {'UPS/s':>8} {'CPU ms/UPS':>11} {'round s':>8} {'unreach':>8}  schedule")
    for r in rows:
        s = r["schedule"]
        sched = (
            f"{s['late']} late of {r['count']} in {args.period:.0f} s; max start lag "
            f"{s['max_start_lag_ms']:.0f} ms; p95 poll {s['p95_poll_ms']:.0f} ms; "
            f"CPU {s['cpu_share']:.0%}; unreachable {s['unreachable']}"
            if s
            else "-"
        )
        print(
            f"{r['count']:>6} {r['ups_per_s']:>8.0f} {r['cpu_ms_per_ups']:>11.2f} "
            f"{r['round_wall_s']:>8.2f} {r['unreachable']:>8}  {sched}"
        )


if __name__ == "__main__":
    main()
