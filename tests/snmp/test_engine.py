"""PollEngine: many UPSs at once, bounded, dead ones never delaying live ones."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from monitoring import mib
from monitoring.snmp.ber import Oid
from monitoring.snmp.client import Target, WalkResult
from monitoring.snmp.engine import PollEngine, PollJob, poll_sync
from tests.snmp.agent_fixture import FakeAgent, ups_mib
from tests.snmp.conftest import StartAgent, target_of

ROOT = Path(__file__).resolve().parents[2]


def job_for(agent: FakeAgent, job_id: object, **kwargs: object) -> PollJob:
    target_kwargs = {k: kwargs.pop(k) for k in ("version", "timeout_s", "retries") if k in kwargs}
    return PollJob(job_id, target_of(agent, **target_kwargs), **kwargs)  # type: ignore[arg-type]


async def test_poll_one_returns_a_decoded_reading_that_records_its_profile(
    start_agent: StartAgent,
) -> None:
    agent = await start_agent(ups_mib(phases=3, alarms=[mib.ALARM_OIDS["LowBattery"]]))

    async with PollEngine() as engine:
        reading = await engine.poll_one(job_for(agent, 1))

    assert reading.reachable
    assert reading.profile == "rfc1628"
    assert reading.alarms == ("LowBattery",)
    assert len(reading.input) == 3


async def test_an_unreachable_ups_gives_an_unreachable_reading_not_an_exception(
    start_agent: StartAgent,
) -> None:
    agent = await start_agent(mode="silent")

    async with PollEngine() as engine:
        reading = await engine.poll_one(job_for(agent, 1))

    assert not reading.reachable
    assert reading.error == f"no response from 127.0.0.1:{agent.address[1]} after 2 tries"
    assert reading.profile == "rfc1628"


async def test_per_ups_overrides_are_applied(start_agent: StartAgent) -> None:
    agent = await start_agent()

    async with PollEngine() as engine:
        reading = await engine.poll_one(
            job_for(agent, 1, overrides={"runtime_remaining_s": {"scale": 1}})
        )

    assert reading.runtime_remaining_s == 42


@pytest.mark.parametrize(
    ("profile", "overrides", "message"),
    [
        ("no-such-profile", None, "unknown SNMP profile 'no-such-profile'"),
        ("rfc1628", {"charge": {"scale": 1}}, "unknown field 'charge'"),
    ],
)
async def test_a_bad_profile_configuration_is_reported_without_polling(
    start_agent: StartAgent, profile: str, overrides: dict | None, message: str
) -> None:
    agent = await start_agent()

    async with PollEngine() as engine:
        reading = await engine.poll_one(job_for(agent, 1, profile=profile, overrides=overrides))

    assert not reading.reachable
    assert reading.error is not None
    assert reading.error.startswith("bad profile configuration: ")
    assert message in reading.error
    assert agent.stats.requests == 0


@pytest.mark.parametrize("max_in_flight", [100, 5])
async def test_a_dead_ups_does_not_delay_twenty_live_ones(
    start_agent: StartAgent, max_in_flight: int
) -> None:
    dead = await start_agent(mode="silent")
    live = [await start_agent(ups_mib(phases=1, name=f"UPS-{i}")) for i in range(20)]
    # The dead one first: it takes a slot before any live one and holds it for 2 x 0.5 s.
    jobs = [job_for(dead, "dead", timeout_s=0.5)] + [
        job_for(agent, f"live-{i}") for i, agent in enumerate(live)
    ]

    async with PollEngine(max_in_flight=max_in_flight) as engine:
        results = [item async for item in engine.poll_many(jobs)]

    order = [job_id for job_id, _ in results]
    assert order[-1] == "dead"
    assert sorted(map(str, order[:-1])) == sorted(f"live-{i}" for i in range(20))
    readings = dict(results)
    assert all(readings[f"live-{i}"].ident_name == f"UPS-{i}" for i in range(20))
    assert not readings["dead"].reachable


async def test_no_more_than_max_in_flight_polls_run_at_once(start_agent: StartAgent) -> None:
    agents = [await start_agent(ups_mib(phases=1), delay_s=0.05) for _ in range(12)]
    engine = PollEngine(max_in_flight=3)
    in_flight = peak = 0
    original = engine.client.walk

    async def counting_walk(
        target: Target, roots: Sequence[Oid], *, scalars: Sequence[Oid] = ()
    ) -> WalkResult:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(target, roots, scalars=scalars)
        finally:
            in_flight -= 1

    engine.client.walk = counting_walk  # type: ignore[method-assign]
    async with engine:
        count = len(
            [r async for r in engine.poll_many([job_for(a, i) for i, a in enumerate(agents)])]
        )

    assert count == 12
    assert peak == 3


async def test_leaving_poll_many_early_cancels_the_polls_still_running(
    start_agent: StartAgent,
) -> None:
    live = await start_agent()
    dead = await start_agent(mode="silent")

    jobs = [job_for(live, "live"), job_for(dead, "dead", timeout_s=5, retries=3)]

    async with PollEngine() as engine:
        async with contextlib.aclosing(engine.poll_many(jobs)) as results:
            async for job_id, _reading in results:
                assert job_id == "live"
                break
        pending = [
            task
            for task in asyncio.all_tasks()
            if getattr(task.get_coro(), "__qualname__", "").endswith("poll_many.<locals>.run")
        ]

    assert pending == [], [(t, t.done()) for t in pending]


@pytest.fixture
def agent_process() -> Iterator[list[int]]:
    """Two FakeAgents in a separate process (as the benchmark runs them)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.snmp.agent_fixture", "--count", "2", "--base-port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("READY"), line
        yield json.loads(line.split(" ", 1)[1])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_poll_sync_polls_from_blocking_code(agent_process: list[int]) -> None:
    jobs = [
        PollJob(port, Target("127.0.0.1", port, timeout_s=1, retries=1)) for port in agent_process
    ]

    readings = poll_sync(jobs)

    assert set(readings) == set(agent_process)
    assert all(r.reachable and len(r.output) == 3 for r in readings.values())
