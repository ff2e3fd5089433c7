from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from monitoring.snmp.client import SnmpClient, Target
from tests.snmp.agent_fixture import FakeAgent, ups_mib

StartAgent = Callable[..., Awaitable[FakeAgent]]


@pytest.fixture
async def start_agent() -> AsyncIterator[StartAgent]:
    """Start FakeAgents on 127.0.0.1 (free ports); all closed after the test."""
    agents: list[FakeAgent] = []

    async def start(values: dict[Any, Any] | None = None, **kwargs: Any) -> FakeAgent:
        agent = FakeAgent(values if values is not None else ups_mib(phases=3), **kwargs)
        await agent.start()
        agents.append(agent)
        return agent

    yield start
    for agent in agents:
        agent.close()


@pytest.fixture
async def client() -> AsyncIterator[SnmpClient]:
    async with SnmpClient() as snmp:
        yield snmp


def target_of(agent: FakeAgent, **kwargs: Any) -> Target:
    """A Target for the agent; short timeouts so that failure tests stay fast."""
    options: dict[str, Any] = {"timeout_s": 0.3, "retries": 1, **kwargs}
    return Target(agent.address[0], agent.address[1], **options)
