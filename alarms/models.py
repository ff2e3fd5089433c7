"""Alarms (one episode of one condition on one UPS) and their append-only event log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from alarms.choices import AlarmSource, AlarmState, EventKind
from monitoring.choices import ConditionKind, Severity
from monitoring.models import Ups

OPEN = models.Q(cleared_at__isnull=True)


class AlarmQuerySet(models.QuerySet["Alarm"]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set by alarms.filters.filter_alarms on a free-text search (the filtered set
        # without the text condition, and that condition), kept across clones so that
        # alarms.filters.paginate can run the search its own way.
        self.text_search: Any = None

    def _clone(self) -> AlarmQuerySet:
        # django-stubs leaves out the private QuerySet._clone that every chained call goes
        # through; hooking it is the only way to carry text_search along.
        clone = super()._clone()  # type: ignore[misc]
        clone.text_search = self.text_search
        return clone

    def open(self) -> AlarmQuerySet:
        return self.filter(OPEN)

    def unacknowledged(self) -> AlarmQuerySet:
        return self.filter(state__in=[AlarmState.ACTIVE_UNACKED, AlarmState.CLEARED_UNACKED])


class Alarm(models.Model):
    """One episode of one condition on one UPS, from raise to clear.

    Sized for 10 M rows on PostgreSQL: every common filter of the history page has a
    named index whose last column is `raised_at`, so "newest first, 50 rows" is an
    index range scan; free text walks the covering index `alarm_raised_text_idx` newest
    first, with a trigram index for rare text (migrations 0002-0003, PostgreSQL only).
    """

    id = models.BigAutoField(primary_key=True)
    ups = models.ForeignKey(Ups, on_delete=models.CASCADE, related_name="alarms", db_index=False)
    kind = models.CharField(max_length=40, choices=ConditionKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    message = models.CharField(max_length=300)
    state = models.CharField(
        max_length=16, choices=AlarmState.choices, default=AlarmState.ACTIVE_UNACKED
    )
    source = models.CharField(max_length=5, choices=AlarmSource.choices)
    raised_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # Raising/repeat traps only: a poll taken before this moment cannot clear the alarm
    # (it raced ahead of the trap and does not know yet).
    last_trap_at = models.DateTimeField(null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    cleared_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # Communication with the card is lost: this alarm is neither cleared nor updated
    # from polls until contact is back.
    frozen = models.BooleanField(default=False)
    # A latched kind whose condition went away before anyone acknowledged it: it stays
    # active until an acknowledgement resets it (ISA-18.2 "latched").
    latched = models.BooleanField(default=False)
    chattering = models.BooleanField(default=False)
    # Times of recent clear/re-raise transitions (ISO strings), pruned to the chatter
    # window: enough to detect chattering without reading the event log.
    transitions = models.JSONField(default=list, blank=True)

    objects = AlarmQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        permissions = [("acknowledge_alarm", "Can acknowledge and comment alarms")]
        constraints = [
            models.UniqueConstraint(
                fields=["ups", "kind"],
                condition=OPEN,
                name="alarm_one_open_per_ups_kind",
                violation_error_message="This UPS already has an open alarm of this kind.",
            ),
        ]
        indexes = [
            models.Index(fields=["raised_at", "id"], name="alarm_raised_idx"),
            models.Index(fields=["ups", "raised_at"], name="alarm_ups_raised_idx"),
            models.Index(fields=["kind", "severity", "raised_at"], name="alarm_kind_sev_idx"),
            models.Index(fields=["severity", "raised_at"], name="alarm_sev_raised_idx"),
            models.Index(fields=["state", "raised_at"], name="alarm_state_raised_idx"),
            # The live list: open alarms are few among millions.
            models.Index(fields=["raised_at"], name="alarm_open_idx", condition=OPEN),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ups_id} at {self.raised_at:%Y-%m-%d %H:%M:%S}"

    def get_absolute_url(self) -> str:
        return reverse("alarms:detail", args=[self.pk])

    @property
    def state_choice(self) -> AlarmState:
        return AlarmState(self.state)

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None

    @property
    def duration(self) -> timedelta | None:
        """Raise to clear; None while open (templates show "ongoing")."""
        return None if self.cleared_at is None else self.cleared_at - self.raised_at

    @property
    def kind_label(self) -> str:
        return ConditionKind(self.kind).label if self.kind in ConditionKind.values else self.kind


class AppendOnlyError(Exception):
    """The alarm log is evidence: rows are written once, never changed or removed."""


class AlarmEvent(models.Model):
    """Append-only: the history of every alarm and the outbox of notifications.

    `processed_at` is the one column written after insert: the notifier claims rows with
    a conditional UPDATE ... WHERE processed_at IS NULL (healthchecks' Flip pattern).
    Events without an alarm (a self-test seen, an informational condition) belong to the
    UPS only; the per-UPS timeline reads this table.
    """

    id = models.BigAutoField(primary_key=True)
    ups = models.ForeignKey(Ups, on_delete=models.CASCADE, related_name="+", db_index=False)
    alarm = models.ForeignKey(
        Alarm, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    condition = models.CharField(max_length=40, blank=True, choices=ConditionKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["ups", "at"], name="alarmevent_ups_at_idx"),
            models.Index(
                fields=["id"],
                name="alarmevent_unprocessed_idx",
                condition=models.Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.condition} @ {self.at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("alarm events are append-only; use mark_processed()")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("alarm events are append-only")
