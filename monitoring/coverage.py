"""Profile coverage: which values a UPS's profile could read from its card, which not.

So administrators see gaps ("battery temperature: never reported") instead of silent
blanks. Pure: derived from a Reading and the profile it was decoded with.
"""

from __future__ import annotations

from monitoring.profiles import LINE_TABLES, NUM_LINES, get_profile
from monitoring.readings import Reading

# Bookkeeping fields, not values an administrator looks for.
_SKIP = frozenset({"sys_object_id", "sys_uptime_s", "alarms"})


def _present(reading: Reading, path: str) -> bool:
    head, _, attr = path.partition(".")
    if head == "nominal":
        return getattr(reading.nominal, attr) is not None
    if head in LINE_TABLES:
        lines = getattr(reading, head)
        if attr == NUM_LINES:
            return bool(lines)
        return any(getattr(line, attr) is not None for line in lines)
    value = getattr(reading, path)
    return value is not None and value != ()


def coverage_of(reading: Reading) -> tuple[list[str], list[str]]:
    """(fields read, fields the profile has but the card did not answer), sorted."""
    try:
        profile = get_profile(reading.profile)
    except KeyError:
        return [], []
    read: list[str] = []
    missing: list[str] = []
    for name in sorted(profile.field_names - _SKIP):
        if name.endswith(f".{NUM_LINES}"):
            continue
        (read if _present(reading, name) else missing).append(name)
    return read, missing


__all__ = ["coverage_of"]
