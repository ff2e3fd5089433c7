"""Fixtures shared by every test package. Package-specific fixtures live next to their tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from monitoring.traps.receiver import ReceiverConfig, ReceiverThread
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _static_without_manifest(settings: Any) -> None:
    # With DEBUG off the settings pick the manifest storage, whose {% static %} fails
    # without a prior collectstatic; tests render templates without running it. No
    # STATIC_ROOT either: WhiteNoise would warn on every request that it does not exist.
    settings.STATIC_ROOT = None
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def operator(db: None) -> User:
    """A logged-in-able user without staff rights: sees the console, not the admin."""
    return UserFactory.create(username="operator")


@pytest.fixture
def operator_client(operator: User) -> Client:
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis for the tests that exercise it (Celery worker, channels-redis).

    Skipped when none answers on a developer's machine; CI sets UNMS_REQUIRE_REDIS so a
    missing Redis fails there instead of hiding those tests.
    """
    import os

    import redis

    url = os.environ.get("UNMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("UNMS_REQUIRE_REDIS"):
            pytest.fail(f"UNMS_REQUIRE_REDIS is set but Redis at {url} does not answer: {exc}")
        pytest.skip(f"no Redis at {url} (set UNMS_TEST_REDIS_URL)")
    return url


@pytest.fixture(autouse=True)
def _no_licence_limit_outside_licensing_tests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The free tier allows 25 monitored UPSs; fleets in polling, scheduler and end-to-end
    # tests are bigger. The limit itself is tested in tests/licensing, with real limits.
    if "licensing" in request.node.path.parts:
        return
    from licensing.tokens import TIER_LIMITS, Tier

    monkeypatch.setitem(TIER_LIMITS, Tier.FREE, 1_000_000)


@pytest.fixture
def start_receiver() -> Iterator[Callable[..., ReceiverThread]]:
    """Start real trap receivers (each in its own thread and loop), by default on a free
    loopback port; all stopped after the test."""
    started: list[ReceiverThread] = []

    def start(**overrides: Any) -> ReceiverThread:
        options: dict[str, Any] = {"bind": ("127.0.0.1", 0), "batch_ms": 20, "rcvbuf": 32 << 20}
        thread = ReceiverThread(ReceiverConfig(**(options | overrides)))
        thread.start()
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop()
