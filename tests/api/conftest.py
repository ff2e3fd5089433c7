"""API test data: a small fleet with values, alarms, and tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from monitoring.choices import UpsState
from monitoring.models import Ups, UpsStatus
from tests.alarms.factories import AlarmFactory, OpenAlarmFactory
from tests.factories import MeasurementFactory, RegionFactory, SiteFactory, UpsFactory, UserFactory

# Would be a leak if it showed up in any answer.
SECRET = "s3cr3t-community-xyz"


@pytest.fixture
def token_user(db: None) -> User:
    return UserFactory.create(username="grafana")


@pytest.fixture
def token(token_user: User) -> str:
    return ApiToken.issue(token_user, "grafana")[1]


@pytest.fixture
def api(token: str) -> Client:
    """A client that sends the token on every request."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def fleet(db: None) -> list[Ups]:
    region = RegionFactory.create(name='North "Quoted" \\ Region')
    site = SiteFactory.create(name="Data centre 1", region=region)
    other = SiteFactory.create(name="Branch 7")
    now = timezone.now()
    upses = []
    for i, (site_, state) in enumerate(
        [(site, UpsState.OK), (site, UpsState.WARNING), (other, UpsState.COMM_LOST)]
    ):
        ups = UpsFactory.create(
            name=f"ups-api-{i}", site=site_, community=SECRET, trap_community=SECRET + "-trap"
        )
        m = MeasurementFactory.create(
            ups=ups, taken_at=now - timedelta(seconds=30), load_pct=30.0 + i,
            input_voltage_l2=229.0, input_voltage_l3=231.0,
        )  # fmt: skip
        UpsStatus.objects.create(
            ups=ups, state=state, measurement=m, last_poll_at=now, last_success_at=now,
            conditions=[{"kind": "HighLoad", "severity": "warning", "reason": "load 81 %"}]
            if state == UpsState.WARNING else [],
        )  # fmt: skip
        upses.append(ups)
    OpenAlarmFactory.create(ups=upses[1], raised_at=now - timedelta(hours=1), message="load high")
    AlarmFactory.create(ups=upses[0], raised_at=now - timedelta(hours=3))
    AlarmFactory.create(ups=upses[2], raised_at=now - timedelta(days=3), severity="critical")
    return upses
