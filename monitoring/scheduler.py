"""Which UPSs are due for a poll, claimed so that no two workers poll one for one slot.

The same code serves Celery (beat fires `poll_due`) and the embedded `monitor` loop.
A claim is a conditional UPDATE of `next_poll_at` from the value we read to the next
slot: when two workers race for a UPS, the second UPDATE matches no row (healthchecks'
pattern), whatever the database. On PostgreSQL, `SKIP LOCKED` additionally keeps
workers from queueing behind each other's row locks.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q

from monitoring.models import Ups


@dataclass(frozen=True, slots=True)
class Claim:
    ups_id: int
    slot: datetime  # when this poll was due; lateness = start - slot


def next_slot(previous: datetime | None, interval_s: int, now: datetime, ups_id: int) -> datetime:
    """The slot after `previous`.

    Slots stay on a fixed grid (no drift from poll duration). A UPS that fell more than a
    whole interval behind skips the missed slots instead of bursting. A UPS never polled
    before gets a stable offset inside its interval so a fleet added at once spreads out.
    """
    interval = timedelta(seconds=interval_s)
    if previous is None:
        # crc32 rather than hash(): stable across processes.
        offset = (zlib.crc32(str(ups_id).encode()) % 1000) / 1000
        return now + interval * offset
    upcoming = previous + interval
    return upcoming if upcoming > now else now + interval


def claim_due(now: datetime, limit: int) -> list[Claim]:
    """Claim up to `limit` UPSs whose slot has come, most overdue first."""
    due = (
        Ups.objects.filter(enabled=True)
        .filter(Q(next_poll_at__lte=now) | Q(next_poll_at__isnull=True))
        .order_by("next_poll_at")
    )
    claims: list[Claim] = []
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        for ups_id, previous, interval_s in due.values_list(
            "id", "next_poll_at", "poll_interval_s"
        )[:limit]:
            claimed = Ups.objects.filter(pk=ups_id, next_poll_at=previous).update(
                next_poll_at=next_slot(previous, interval_s, now, ups_id)
            )
            if claimed:
                claims.append(Claim(ups_id, previous or now))
    return claims


def request_poll_now(ups_id: int, now: datetime) -> bool:
    """Make a UPS due at once (a trap hinted at a change). Returns False if disabled."""
    return bool(Ups.objects.filter(pk=ups_id, enabled=True).update(next_poll_at=now))
