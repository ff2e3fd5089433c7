"""Enumerations of the alarm domain: ISA-18.2 states, sources and event kinds."""

from __future__ import annotations

from django.db import models


class AlarmState(models.TextChoices):
    """ISA-18.2 / IEC 62682 alarm states (OPC UA Part 9 naming).

    cleared_unacked is "returned to normal, unacknowledged": it stays on the live list
    until someone acknowledges it; only `cleared` (and acked) leaves it.
    """

    ACTIVE_UNACKED = "active_unacked", "Active, unacknowledged"
    ACTIVE_ACKED = "active_acked", "Active, acknowledged"
    CLEARED_UNACKED = "cleared_unacked", "Cleared, unacknowledged"
    CLEARED = "cleared", "Cleared"

    @property
    def is_active(self) -> bool:
        return self in (AlarmState.ACTIVE_UNACKED, AlarmState.ACTIVE_ACKED)

    @property
    def is_acked(self) -> bool:
        return self in (AlarmState.ACTIVE_ACKED, AlarmState.CLEARED)

    def acknowledged(self) -> AlarmState:
        return _ACK[self]

    def cleared(self) -> AlarmState:
        return _CLEAR[self]

    def reopened(self) -> AlarmState:
        return _REOPEN[self]


# State tables rather than branches: what acknowledging, clearing and re-raising do.
_ACK = {
    AlarmState.ACTIVE_UNACKED: AlarmState.ACTIVE_ACKED,
    AlarmState.ACTIVE_ACKED: AlarmState.ACTIVE_ACKED,
    AlarmState.CLEARED_UNACKED: AlarmState.CLEARED,
    AlarmState.CLEARED: AlarmState.CLEARED,
}
_CLEAR = {
    AlarmState.ACTIVE_UNACKED: AlarmState.CLEARED_UNACKED,
    AlarmState.ACTIVE_ACKED: AlarmState.CLEARED,
    AlarmState.CLEARED_UNACKED: AlarmState.CLEARED_UNACKED,
    AlarmState.CLEARED: AlarmState.CLEARED,
}
# A flap re-raises within the same episode: an acknowledgement already given stands
# (a chattering alarm must not demand a new ack every few seconds).
_REOPEN = {
    AlarmState.ACTIVE_UNACKED: AlarmState.ACTIVE_UNACKED,
    AlarmState.ACTIVE_ACKED: AlarmState.ACTIVE_ACKED,
    AlarmState.CLEARED_UNACKED: AlarmState.ACTIVE_UNACKED,
    AlarmState.CLEARED: AlarmState.ACTIVE_ACKED,
}


class AlarmSource(models.TextChoices):
    POLL = "poll", "Poll"
    TRAP = "trap", "Trap"


class EventKind(models.TextChoices):
    """One row of the append-only alarm log: every state change, and the events that
    are recorded without being alarms (tests, informational conditions, traps seen)."""

    RAISED = "raised", "Raised"
    UPDATED = "updated", "Updated"  # severity changed
    REPEATED = "repeated", "Repeated"  # the condition was reported again (repeat trap)
    CLEARED = "cleared", "Cleared"
    FLAP_REOPENED = "flap_reopened", "Re-raised within the flap window"
    CHATTERING = "chattering", "Chattering"
    LATCHED = "latched", "Returned to normal, held until reset"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    COMMENTED = "commented", "Commented"
    FROZEN = "frozen", "Frozen (communication lost)"
    UNFROZEN = "unfrozen", "Unfrozen (communication back)"
    REMOVAL_REPORTED = "removal_reported", "Removal reported by trap"
    TEST_EVENT = "test_event", "Condition during a self-test"
    TEST_STARTED = "test_started", "Self-test started"
    TEST_ENDED = "test_ended", "Self-test ended"
    TEST_COMPLETED = "test_completed", "Self-test completed (trap)"
    INFO = "info", "Informational condition"
