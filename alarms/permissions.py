"""Who may acknowledge and comment. Roles arrive with issue 7; until then: staff, or
anyone granted the `alarms.acknowledge_alarm` permission."""

from __future__ import annotations

from typing import Any


def can_acknowledge(user: Any) -> bool:
    return bool(
        user.is_authenticated and (user.is_staff or user.has_perm("alarms.acknowledge_alarm"))
    )
