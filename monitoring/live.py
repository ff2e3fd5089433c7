"""Live push: typed payloads to the Channels groups that open consoles listen to.

Every open dashboard is in the group `fleet`; a UPS page may join `ups.<id>`. Payloads are
TypedDicts, sent as JSON as they are; their `type` doubles as the consumer handler's name
("ups.state" → `ups_state`). The same `push` serves every process model: in the embedded
demo the recorder runs in a `sync_to_async` thread of the web server's event loop and
`async_to_sync` hops back onto that loop (so the in-memory layer is shared); a Celery
worker has no loop and `async_to_sync` runs channels-redis in a fresh one. Each hop costs
a thread handoff (and, without a loop, a new loop), so a push of many UPSs (`push_all`,
`push_states`) makes ONE hop for all its group sends.

`push_poll_outcome` is an `AFTER_POLL` step (settings): after the recorder's commit, and
after the alarm step (which may raise the traffic light), it sends the UPS's state when
something a tile shows has changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, Literal, NamedTuple, TypedDict

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from monitoring.choices import UpsState
from monitoring.models import Measurement, UpsStatus

log = logging.getLogger(__name__)

FLEET_GROUP = "fleet"


def ups_group(ups_id: int) -> str:
    return f"ups.{ups_id}"


class UpsValues(TypedDict):
    load: float | None  # % of the most loaded output line
    charge: float | None  # %
    runtime: int | None  # seconds of runtime remaining
    on_battery_s: int | None  # seconds on battery (0 or None: on mains)


class UpsStatePayload(TypedDict):
    type: Literal["ups.state"]
    ups_id: int
    state: str  # UpsState value
    word: str  # the word printed on the icon
    label: str
    rank: int  # worst first: higher is worse
    reasons: list[str]
    values: UpsValues
    at: str | None  # ISO time of the last poll
    since: str | None  # ISO time the state began
    last_success_at: str | None  # data age of a comm-lost UPS is counted from here


class SnapshotPayload(TypedDict, total=False):
    type: Literal["fleet.snapshot"]
    at: str
    upses: list[UpsStatePayload]
    # Contributions of other apps (settings.UNMS["CONSOLE"]["SNAPSHOT"]), e.g. alarms.
    alarms: list[dict[str, Any]]
    flood: dict[str, Any]
    can_acknowledge: bool


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _values(m: Measurement | None) -> UpsValues:
    if m is None:
        return UpsValues(load=None, charge=None, runtime=None, on_battery_s=None)
    return UpsValues(
        load=m.load_pct,
        charge=m.charge_pct,
        runtime=m.runtime_remaining_s,
        on_battery_s=m.seconds_on_battery,
    )


def state_payload(status: UpsStatus) -> UpsStatePayload:
    """The tile of one UPS. Values are those of the last successful poll, so a comm-lost
    tile keeps its last known numbers next to their age."""
    state = UpsState(status.state)
    return UpsStatePayload(
        type="ups.state",
        ups_id=status.ups_id,
        state=state.value,
        word=state.word,
        label=state.label,
        rank=state.rank,
        reasons=status.reasons,
        values=_values(status.measurement),
        at=_iso(status.last_poll_at),
        since=_iso(status.state_since),
        last_success_at=_iso(status.last_success_at),
    )


def unknown_payload(ups_id: int, reasons: list[str] | None = None) -> UpsStatePayload:
    """A UPS never polled (or disabled): grey, like the server-rendered tile."""
    state = UpsState.UNKNOWN
    return UpsStatePayload(
        type="ups.state",
        ups_id=ups_id,
        state=state.value,
        word=state.word,
        label=state.label,
        rank=state.rank,
        reasons=reasons or [],
        values=_values(None),
        at=None,
        since=None,
        last_success_at=None,
    )


# --- what counts as a visible change -------------------------------------------------


class Visible(NamedTuple):
    """What a tile shows, at the resolution it shows it: a load moving from 41.2 % to
    41.4 % is not worth a message to every console, a state or reason change always is."""

    state: str
    reasons: tuple[str, ...]
    load: int | None
    charge: int | None
    runtime_min: int | None
    on_battery_min: int | None


def _round(value: float | None, unit: float = 1.0) -> int | None:
    return None if value is None else round(value / unit)


def visible(state: str, reasons: Iterable[str], values: Mapping[str, Any]) -> Visible:
    return Visible(
        state=state,
        reasons=tuple(reasons),
        load=_round(values.get("load")),
        charge=_round(values.get("charge")),
        runtime_min=_round(values.get("runtime"), 60),
        on_battery_min=_round(values.get("on_battery_s") or 0, 60),
    )


def visible_change(before: Visible | None, after: Visible) -> bool:
    return before != after


# --- sending ---------------------------------------------------------------------------

# Group sends in flight at once within one push (channels-redis: each send is a few round
# trips; more in parallel would only open more connections).
SEND_CONCURRENCY = 8


def push(payload: Mapping[str, Any], *groups: str) -> None:
    """Send `payload` to `groups` (default: the fleet and the UPS's own group).

    Call from sync code only (a view, the recorder's thread, a Celery task). A full or
    missing layer never breaks the caller: the data is stored, a console re-syncs from a
    snapshot when it reconnects.
    """
    targets = groups or _default_groups(payload)
    _send([[(group, dict(payload)) for group in targets]])


def push_all(payloads: Iterable[Mapping[str, Any]]) -> int:
    """Send many payloads, each to its default groups, in ONE hop onto the event loop
    (one `async_to_sync` for all of them, however many UPSs): the messages about one UPS
    go out in the order given, different UPSs' in parallel. Returns how many payloads.

    The hop is the one `push` makes: in the embedded demo, from a `sync_to_async` thread,
    onto the web server's loop (the in-memory layer's queues live there); elsewhere
    (Celery, trapd) a fresh loop for the whole batch instead of one per message.
    """
    chains: dict[Any, list[tuple[str, dict[str, Any]]]] = {}
    count = 0
    for payload in payloads:
        count += 1
        key = payload.get("ups_id", ("no-ups", count))
        chain = chains.setdefault(key, [])
        chain.extend((group, dict(payload)) for group in _default_groups(payload))
    _send(list(chains.values()))
    return count


def _send(chains: list[list[tuple[str, dict[str, Any]]]]) -> None:
    chains = [chain for chain in chains if chain]
    if not chains:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(_group_send_all)(layer, chains)


async def _group_send_all(layer: Any, chains: list[list[tuple[str, dict[str, Any]]]]) -> None:
    """Every chain's sends in order, chains side by side (at most SEND_CONCURRENCY).

    The first failure (the layer's server gone) stops what has not started yet, rather
    than waiting for a timeout per message, and is raised once all in flight are done.
    """
    if len(chains) == 1:
        for group, message in chains[0]:
            await layer.group_send(group, message)
        return
    failures: list[BaseException] = []
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def run(chain: list[tuple[str, dict[str, Any]]]) -> None:
        async with gate:
            for group, message in chain:
                if failures:
                    return
                try:
                    await layer.group_send(group, message)
                except Exception as exc:
                    failures.append(exc)
                    return

    await asyncio.gather(*(run(chain) for chain in chains))
    if failures:
        raise failures[0]


def _default_groups(payload: Mapping[str, Any]) -> tuple[str, ...]:
    ups_id = payload.get("ups_id")
    return (FLEET_GROUP,) if ups_id is None else (FLEET_GROUP, ups_group(int(ups_id)))


def state_payloads(ups_ids: Iterable[int]) -> dict[int, UpsStatePayload]:
    """The tiles of `ups_ids` that have a status row, in one query."""
    ids = sorted(set(ups_ids))
    if not ids:
        return {}
    rows = UpsStatus.objects.select_related("measurement").filter(ups_id__in=ids)
    return {status.ups_id: state_payload(status) for status in rows}


def push_states(ups_ids: Iterable[int]) -> dict[int, UpsStatePayload]:
    """Send the current state of these UPSs, whatever changed: one query, one hop."""
    payloads = state_payloads(ups_ids)
    push_all(payloads[ups_id] for ups_id in sorted(payloads))
    return payloads


def push_state(ups_id: int) -> UpsStatePayload | None:
    """Send the current state of one UPS, whatever changed (alarm step, acknowledge)."""
    return push_states([ups_id]).get(ups_id)


def _previous_values(ups_id: int, before: datetime) -> dict[str, Any]:
    row = (
        Measurement.objects.filter(ups_id=ups_id, reachable=True, taken_at__lt=before)
        .order_by("-taken_at")
        .values("load_pct", "charge_pct", "runtime_remaining_s", "seconds_on_battery")
        .first()
    )
    if row is None:
        return {}
    return {
        "load": row["load_pct"],
        "charge": row["charge_pct"],
        "runtime": row["runtime_remaining_s"],
        "on_battery_s": row["seconds_on_battery"],
    }


def push_poll_outcome(outcome: Any) -> bool:
    """AFTER_POLL step: push the UPS's tile if what it shows changed. Returns whether
    it pushed.

    The state is read back from `UpsStatus` rather than taken from the outcome: the alarm
    step before this one may have raised it (an alarm the poll does not show). The
    previous values come from the stored previous poll, not from memory, because under
    Celery consecutive polls of a UPS run in different processes.
    """
    status = UpsStatus.objects.select_related("measurement").filter(ups_id=outcome.ups_id).first()
    if status is None:
        return False
    payload = state_payload(status)
    after = visible(payload["state"], payload["reasons"], payload["values"])
    if outcome.reading.reachable:
        previous_values = _previous_values(outcome.ups_id, outcome.taken_at)
    else:
        previous_values = dict(payload["values"])  # unreachable: the values did not move
    before = visible(
        str(outcome.previous.state),
        (c.reason for c in outcome.previous.conditions),
        previous_values,
    )
    if not visible_change(before, after):
        return False
    push(payload)
    return True


# --- snapshot: what a console gets when it (re)connects --------------------------------


def fleet_states(user: Any, ups_id: int | None = None) -> list[UpsStatePayload]:
    """The tile of every UPS the user sees (one query), or one UPS's."""
    from accounts.roles import restrict
    from monitoring.models import Ups

    upses = restrict(
        user, Ups.objects.select_related("status", "status__measurement"), "site"
    ).order_by("pk")
    if ups_id is not None:
        upses = upses.filter(pk=ups_id)
    payloads = []
    for ups in upses:
        status = getattr(ups, "status", None)
        if not ups.enabled:
            payloads.append(unknown_payload(ups.pk, ["disabled"]))
        elif status is None:
            payloads.append(unknown_payload(ups.pk))
        else:
            payloads.append(state_payload(status))
    return payloads


@cache
def _contributors() -> tuple[Callable[..., Mapping[str, Any]], ...]:
    paths = settings.UNMS.get("CONSOLE", {}).get("SNAPSHOT", [])
    return tuple(import_string(path) for path in paths)


def snapshot(user: Any, ups_id: int | None = None) -> SnapshotPayload:
    """The full picture for one console, within the user's scope: tiles, plus what other
    apps add (alarms).

    Other apps join through settings, like the after-poll steps: monitoring never
    imports alarms. A contributor takes (user, ups_id) and limits what it returns to
    what the user may see (accounts.roles).
    """
    payload = SnapshotPayload(
        type="fleet.snapshot", at=timezone.now().isoformat(), upses=fleet_states(user, ups_id)
    )
    for contribute in _contributors():
        try:
            payload.update(contribute(user, ups_id))  # type: ignore[typeddict-item]
        except Exception:
            # A broken contributor must not leave the console without its tiles.
            log.exception("live snapshot contributor %s failed", contribute)
    return payload


# --- scope of pushes ---------------------------------------------------------------------
#
# Pushes go to groups every console joins, whoever is logged in; the consumer drops those
# about UPSs outside its user's scope (monitoring.consumers). A payload may also carry
# fleet-wide aggregates (the alarm flood count): it names them in `RESCOPE`, and a
# restricted console gets them recomputed for its user from the snapshot contributors
# instead of the fleet-wide values.

RESCOPE = "rescope"


def rescoped(user: Any, keys: Iterable[str]) -> dict[str, Any]:
    """The snapshot contributors' values of `keys` for `user` (their scope)."""
    wanted = set(keys)
    values: dict[str, Any] = {}
    for contribute in _contributors():
        try:
            part = contribute(user, None, keys=frozenset(wanted))
        except Exception:
            log.exception("live snapshot contributor %s failed", contribute)
            continue
        values.update({k: v for k, v in part.items() if k in wanted})
    return values
