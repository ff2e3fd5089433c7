"""Enumerations of the notification domain. Tables map one to the other, not branches."""

from __future__ import annotations

from django.db import models


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    POPUP = "popup", "Browser pop-up"
    PROGRAM = "program", "Custom program"
    WEBHOOK = "webhook", "Webhook"


class Trigger(models.TextChoices):
    """When a rule step fires, relative to its alarm (the timing table's rows)."""

    IMMEDIATE = "immediate", "Immediately on raise"
    STILL_ACTIVE = "still_active", "If still active after X s"
    REPEAT = "repeat", "Repeat every X s while active and unacknowledged"
    ON_BATTERY_FOR = "on_battery_for", "After X s on battery"
    RUNTIME_BELOW = "runtime_below", "When runtime remaining falls below X s"
    ON_CLEAR = "on_clear", "On clear (recovery)"


class Event(models.TextChoices):
    """What a notification says happened: the subject line's verb."""

    RAISED = "raised", "Raised"
    STILL_ACTIVE = "still_active", "Still active"
    REPEAT = "repeat", "Reminder"
    ON_BATTERY = "on_battery", "On battery"
    RUNTIME_LOW = "runtime_low", "Runtime low"
    CLEARED = "cleared", "Cleared"
    ESCALATION = "escalation", "Escalation: not acknowledged"
    TEST = "test", "Test"


# Which event each step trigger announces.
TRIGGER_EVENT: dict[str, Event] = {
    Trigger.IMMEDIATE: Event.RAISED,
    Trigger.STILL_ACTIVE: Event.STILL_ACTIVE,
    Trigger.REPEAT: Event.REPEAT,
    Trigger.ON_BATTERY_FOR: Event.ON_BATTERY,
    Trigger.RUNTIME_BELOW: Event.RUNTIME_LOW,
    Trigger.ON_CLEAR: Event.CLEARED,
}


class State(models.TextChoices):
    """Outbox states. pending -> sending -> sent | failed (after the last attempt);
    held rows (maintenance) are never sent unless an administrator resends them."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    HELD = "held", "Held (maintenance)"
