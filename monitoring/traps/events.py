"""The interface between the trap receiver and whatever reacts to traps (alarms, live).

After each stored batch the receiver calls every dotted path in
`settings.UNMS["AFTER_TRAPS"]` with a `list[TrapEvent]`. Only *accepted* traps (a known
source address and the right trap community) become events; the rest are stored and
counted but never reach these steps. A trap is a hint: the receiver also asks for an
immediate re-poll of the UPS, whose result is the truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models


class TrapKind(models.TextChoices):
    ON_BATTERY = "on_battery", "On battery"
    TEST_COMPLETED = "test_completed", "Test completed"
    ALARM_ADDED = "alarm_added", "Alarm added"
    ALARM_REMOVED = "alarm_removed", "Alarm removed"
    OTHER = "other", "Other"


@dataclass(frozen=True, slots=True)
class TrapEvent:
    trap_id: int  # Trap row id: the row is stored before the event is dispatched
    ups_id: int
    received_at: datetime
    kind: TrapKind
    # Well-known alarm name ("OnBattery", "LowBattery", ...) from the upsAlarmDescr
    # varbind for alarm_added/alarm_removed; "OnBattery" for on_battery; None otherwise
    # (also None when an alarm trap carried no recognisable upsAlarmDescr).
    alarm: str | None
    trap_oid: str  # normalised: 1.3.6.1.2.1.33.2.n (never the ...33.2.0.n form)
    varbinds: dict[str, Any]  # JSON-ready {dotted oid: value}
