"""Notification test data. Inventory and alarms come from their own factories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import factory

from alarms.choices import AlarmState, EventKind
from alarms.models import Alarm, AlarmEvent
from monitoring.choices import ConditionKind, Severity
from monitoring.models import Ups
from notifications.choices import ChannelKind, Trigger
from notifications.models import Channel, MaintenanceWindow, Recipient, Rule, RuleStep, RuleTarget
from tests.alarms.factories import T0
from tests.factories import UpsFactory

__all__ = ["T0"]


class ChannelFactory(factory.django.DjangoModelFactory[Channel]):
    class Meta:
        model = Channel
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"channel-{n}")
    kind = ChannelKind.EMAIL


class RecipientFactory(factory.django.DjangoModelFactory[Recipient]):
    class Meta:
        model = Recipient

    name = factory.Sequence(lambda n: f"recipient-{n}")
    address = factory.LazyAttribute(lambda r: f"{r.name}@example.org")


class RuleFactory(factory.django.DjangoModelFactory[Rule]):
    """Every warning or worse, immediately; tests add the steps and targets they need."""

    class Meta:
        model = Rule

    name = factory.Sequence(lambda n: f"rule-{n}")
    active_since = T0 - timedelta(days=1)
    storm_control = False


class MaintenanceWindowFactory(factory.django.DjangoModelFactory[MaintenanceWindow]):
    class Meta:
        model = MaintenanceWindow

    starts_at = T0
    ends_at = factory.LazyAttribute(lambda w: w.starts_at + timedelta(hours=1))
    reason = "battery replacement"


def make_rule(
    steps: Sequence[tuple[Trigger, int] | tuple[Trigger, int, int | None]] = (
        (Trigger.IMMEDIATE, 0),
    ),
    targets: Sequence[tuple[Recipient, Channel] | tuple[Recipient, Channel, int]] = (),
    **kwargs: Any,
) -> Rule:
    rule = RuleFactory.create(**kwargs)
    for s in steps:
        RuleStep.objects.create(
            rule=rule, trigger=s[0], seconds=s[1], limit=(s[2] if len(s) > 2 else None)
        )
    for t in targets:
        RuleTarget.objects.create(
            rule=rule, recipient=t[0], channel=t[1], level=(t[2] if len(t) > 2 else 0)
        )
    return rule


def raise_alarm(
    ups: Ups | None = None,
    at: datetime = T0,
    kind: str = ConditionKind.ON_BATTERY,
    severity: str = Severity.WARNING,
) -> Alarm:
    """An open alarm and its RAISED event, as the lifecycle writes them."""
    ups = ups or UpsFactory.create()
    alarm = Alarm.objects.create(
        ups=ups,
        kind=kind,
        severity=severity,
        message=f"{kind} on {ups.name}",
        state=AlarmState.ACTIVE_UNACKED,
        source="poll",
        raised_at=at,
        last_seen_at=at,
    )
    AlarmEvent.objects.create(ups=ups, alarm=alarm, at=at, kind=EventKind.RAISED, condition=kind)
    return alarm


def clear_alarm(alarm: Alarm, at: datetime) -> Alarm:
    alarm.cleared_at = at
    alarm.state = AlarmState(alarm.state).cleared()
    alarm.save(update_fields=["cleared_at", "state"])
    AlarmEvent.objects.create(
        ups_id=alarm.ups_id, alarm=alarm, at=at, kind=EventKind.CLEARED, condition=alarm.kind
    )
    return alarm
