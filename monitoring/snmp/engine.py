"""Poll many UPSs concurrently through one SnmpClient (one engine, one socket).

A bounded number of polls is in flight (default 100: snmp-performance.md measured reply
loss above that with a default receive buffer; the client asks for 8 MiB, so this is a
safety margin, not a tight limit). Each poll is its own task, so a dead UPS that takes
timeout x tries to give up only holds one slot and never delays the others, and
`poll_many` yields readings in completion order so callers can record live UPSs while
dead ones are still timing out.

`poll_one` never raises for SNMP or configuration problems: it always returns a Reading
(`Reading.unreachable(...)` when the agent does not answer).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncGenerator, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from monitoring import detect, sanity
from monitoring.mib import UPS_GROUPS, UPS_OBJECTS
from monitoring.profiles import (
    DEFAULT_PROFILE,
    RFC1628,
    Profile,
    apply_overrides,
    get_profile,
)
from monitoring.readings import Reading
from monitoring.snmp.client import SnmpClient, SnmpError, Target
from monitoring.snmp.decode import decode

log = logging.getLogger(__name__)

DEFAULT_MAX_IN_FLIGHT: Final = 100
_PROFILE_CACHE_SIZE: Final = 4096


#: PollJob.profile values that mean "detect the profile first" (monitoring/detect.py).
AUTO: Final = frozenset({"", "auto"})


@dataclass(frozen=True, slots=True)
class PollJob:
    """What to poll: `id` is the caller's key (e.g. the Ups primary key).

    `profile` "" (or "auto") detects the profile before polling; `profile_reason` is
    carried into the Reading (why this profile: pinned, or detected earlier because ...).
    """

    id: Hashable
    target: Target
    profile: str = DEFAULT_PROFILE
    overrides: Mapping[str, Mapping[str, Any]] | None = None
    profile_reason: str | None = None


class PollEngine:
    """Concurrent UPS poller. Use inside one event loop; `close()` or `async with`."""

    def __init__(
        self, client: SnmpClient | None = None, *, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be >= 1")
        self._own_client = client is None
        self.client = client if client is not None else SnmpClient()
        self.max_in_flight = max_in_flight
        self._slots = asyncio.Semaphore(max_in_flight)
        # (profile name, overrides JSON) → merged Profile. Reusing the same object keeps
        # decode's per-profile compiled lookup warm.
        self._profiles: dict[tuple[str, str], Profile] = {}

    async def __aenter__(self) -> PollEngine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_client:
            await self.client.close()

    def profile_for(self, job: PollJob) -> Profile:
        """The job's profile with its overrides merged; KeyError/ValueError if invalid."""
        key = (job.profile or DEFAULT_PROFILE, json.dumps(job.overrides or {}, sort_keys=True))
        profile = self._profiles.get(key)
        if profile is None:
            profile = apply_overrides(get_profile(job.profile), job.overrides)
            if len(self._profiles) >= _PROFILE_CACHE_SIZE:
                self._profiles.clear()
            self._profiles[key] = profile
        return profile

    async def detect(self, target: Target) -> detect.Detection:
        """Gather detection evidence in one walk and decide (raises SnmpError)."""
        roots = UPS_GROUPS if target.version == "1" else (UPS_OBJECTS,)
        walked = await self.client.walk(target, roots, scalars=detect.probe_oids())
        rfc = decode(walked.varbinds, RFC1628)
        return detect.decide(detect.evidence_from(walked.varbinds, rfc))

    async def poll_one(self, job: PollJob) -> Reading:
        """Walk one UPS and decode it. Always returns a Reading; never raises SNMP errors."""
        if job.profile in AUTO:
            try:
                async with self._slots:
                    found = await self.detect(job.target)
            except SnmpError as exc:
                return dataclasses.replace(Reading.unreachable(str(exc)), profile="")
            except Exception as exc:  # a bug in detection must not kill the round
                log.exception("detecting the profile of %s failed", job.target.address)
                return Reading.unreachable(f"profile detection failed: {type(exc).__name__}")
            known = get_profile(found.profile).field_names
            # Overrides typed for another profile must not make the UPS unpollable.
            overrides = {k: v for k, v in (job.overrides or {}).items() if k in known}
            job = dataclasses.replace(
                job,
                profile=found.profile,
                overrides=overrides or None,
                profile_reason=f"detected: {found.reason}",
            )
        reading = await self._poll(job)
        if job.profile_reason is not None:
            reading = dataclasses.replace(reading, profile_reason=job.profile_reason)
        return reading

    async def _poll(self, job: PollJob) -> Reading:
        try:
            profile = self.profile_for(job)
        except (KeyError, ValueError) as exc:
            message = exc.args[0] if exc.args else str(exc)
            return dataclasses.replace(
                Reading.unreachable(f"bad profile configuration: {message}"),
                profile=job.profile,
            )
        roots = profile.v1_walk_roots if job.target.version == "1" else profile.walk_roots
        async with self._slots:
            try:
                walked = await self.client.walk(job.target, roots, scalars=profile.scalars)
            except SnmpError as exc:
                return dataclasses.replace(Reading.unreachable(str(exc)), profile=profile.name)
            except Exception as exc:  # a bug in the SNMP layer must not kill the round
                log.exception("polling %s failed", job.target.address)
                message = f"poll failed: {type(exc).__name__}"
                return dataclasses.replace(Reading.unreachable(message), profile=profile.name)
        try:
            return sanity.check(decode(walked.varbinds, profile, notes=walked.notes))
        except Exception as exc:  # the agent answered; our decode is at fault
            log.exception("decoding %s failed", job.target.address)
            return Reading(
                reachable=True, error=f"decode failed: {type(exc).__name__}", profile=profile.name
            )

    async def poll_many(
        self, jobs: Sequence[PollJob]
    ) -> AsyncGenerator[tuple[Hashable, Reading], None]:
        """Poll every job; yield (job id, Reading) as each finishes (completion order)."""
        done: asyncio.Queue[tuple[Hashable, Reading]] = asyncio.Queue()

        async def run(job: PollJob) -> None:
            done.put_nowait((job.id, await self.poll_one(job)))

        tasks = [asyncio.create_task(run(job)) for job in jobs]
        try:
            for _ in range(len(tasks)):
                yield await done.get()
        finally:
            # The consumer stopped early (break, exception, cancellation): no orphans.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def poll_sync(
    jobs: Sequence[PollJob], *, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
) -> dict[Hashable, Reading]:
    """Blocking convenience for management commands: {job id: Reading}.

    Runs its own event loop (asyncio.run), so it must not be called from async code.
    """

    async def run() -> dict[Hashable, Reading]:
        async with PollEngine(max_in_flight=max_in_flight) as engine:
            return {job_id: reading async for job_id, reading in engine.poll_many(jobs)}

    return asyncio.run(run())
