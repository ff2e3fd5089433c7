"""Poll a set of UPSs and record each result as it arrives.

Used by the Celery `poll_batch` task and by the embedded `MonitorLoop`: the same code
under both. Database work runs in Django's sync thread (`sync_to_async`), SNMP in the
event loop, so recording the fast UPSs never waits for a dead one to time out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import datetime

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.utils import timezone

from monitoring.models import Ups, UpsProfileState
from monitoring.readings import Reading
from monitoring.recorder import PollOutcome, record
from monitoring.sensor_store import apply_sensors, note_profile
from monitoring.snmp.client import Target
from monitoring.snmp.engine import PollEngine, PollJob

log = logging.getLogger(__name__)


def job_for(ups: Ups, detected: tuple[str, str] | None = None) -> PollJob:
    """The engine's view of a UPS: where, how, and with which profile.

    A pinned profile wins; else the profile detected earlier (`detected`, cached on
    UpsProfileState); else "" asks the engine to detect it on this poll.
    """
    if ups.profile:
        profile, reason = ups.profile, f"pinned by an administrator ({ups.profile})"
    elif detected is not None:
        profile, reason = detected
    else:
        profile, reason = "", None
    return PollJob(
        id=ups.pk,
        target=Target(
            host=ups.host,
            port=ups.port,
            community=ups.community,
            version="1" if ups.snmp_version == "1" else "2c",
            timeout_s=settings.UNMS["SNMP_TIMEOUT_S"],
            retries=settings.UNMS["SNMP_RETRIES"],
        ),
        profile=profile,
        overrides=ups.profile_overrides or None,
        profile_reason=reason,
    )


def _load(ups_ids: Sequence[int]) -> list[tuple[Ups, tuple[str, str] | None]]:
    upses = list(Ups.objects.filter(pk__in=ups_ids, enabled=True))
    cached = {
        s.ups_id: (s.detected_profile, s.reason)
        for s in UpsProfileState.objects.filter(ups__in=upses).exclude(detected_profile="")
    }
    return [(ups, cached.get(ups.pk)) for ups in upses]


def _record(ups: Ups, reading: Reading, taken_at: datetime, poll_ms: float) -> PollOutcome:
    """Sensors first (their levels become conditions), then the recorder, then notes."""
    reading = apply_sensors(ups, reading, taken_at)
    outcome = record(ups, reading, taken_at, poll_ms)
    try:
        note_profile(ups, reading, taken_at)
    except Exception:
        log.exception("noting the profile state of UPS %s failed", ups.pk)
    return outcome


class Poller:
    """Owns one PollEngine for its lifetime (one SNMP engine, one socket)."""

    def __init__(self, engine: PollEngine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> PollEngine:
        # Created lazily: pysnmp binds its socket to the running event loop.
        if self._engine is None:
            self._engine = PollEngine(max_in_flight=settings.UNMS["POLL_CONCURRENCY"])
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.close()
            self._engine = None

    async def poll(self, ups_ids: Sequence[int]) -> list[PollOutcome]:
        loaded = await sync_to_async(_load)(ups_ids)
        engine = self.engine

        async def timed(ups: Ups, detected: tuple[str, str] | None) -> tuple[Ups, Reading, float]:
            started = time.perf_counter()
            reading = await engine.poll_one(job_for(ups, detected))
            return ups, reading, (time.perf_counter() - started) * 1000

        outcomes: list[PollOutcome] = []
        for next_done in asyncio.as_completed([timed(ups, d) for ups, d in loaded]):
            ups, reading, poll_ms = await next_done
            try:
                outcome = await sync_to_async(_record)(ups, reading, timezone.now(), poll_ms)
            except Exception:
                # One UPS's bad row (deleted meanwhile, a constraint) must not lose the rest.
                log.exception("recording the poll of UPS %s failed", ups.pk)
                continue
            outcomes.append(outcome)
        return outcomes


def poll_sync(ups_ids: Sequence[int]) -> list[PollOutcome]:
    """Blocking: poll and record `ups_ids` with a fresh engine (Celery tasks, commands)."""

    async def run() -> list[PollOutcome]:
        poller = Poller()
        try:
            return await poller.poll(ups_ids)
        finally:
            await poller.close()
            # The ORM ran in asgiref's executor thread, whose connection would outlive
            # this call (and keep a test database busy): close it where it lives.
            await sync_to_async(connections.close_all)()

    return asyncio.run(run())
