"""Alarm test data. Inventory factories come from tests/factories.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory

from alarms.choices import AlarmSource, AlarmState
from alarms.models import Alarm
from monitoring.choices import ConditionKind, Severity
from tests.factories import UpsFactory

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class AlarmFactory(factory.django.DjangoModelFactory[Alarm]):
    """A cleared, acknowledged on-battery episode: tests set what they are about."""

    class Meta:
        model = Alarm

    ups = factory.SubFactory(UpsFactory)
    kind = ConditionKind.ON_BATTERY
    severity = Severity.WARNING
    message = "on battery for 2 min, 20 min left"
    state = AlarmState.CLEARED
    source = AlarmSource.POLL
    raised_at = factory.Sequence(lambda n: T0 - timedelta(minutes=10 * n))
    last_seen_at = factory.LazyAttribute(lambda a: a.raised_at + timedelta(minutes=2))
    # OpenAlarmFactory overrides this with None: an open alarm has not cleared.
    cleared_at: factory.LazyAttribute | None = factory.LazyAttribute(
        lambda a: a.raised_at + timedelta(minutes=3)
    )
    occurrences = 1


class OpenAlarmFactory(AlarmFactory):
    state = AlarmState.ACTIVE_UNACKED
    cleared_at = None
