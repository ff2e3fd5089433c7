"""The sending shell: claim due outbox rows, deliver them, record the outcome.

Claim: one conditional UPDATE sets `state=sending`, a fresh `claim` token, a lease and
`attempts + 1` on rows that are still claimable (pending and due, or sending with an
expired lease); the rows carrying our token are ours. Two workers racing for a row
both run the UPDATE; the second finds the row no longer claimable and gets nothing.
Finish: an UPDATE that matches our token, so a worker whose lease ran out cannot
overwrite the outcome of the worker that took over.

Retries live here and only here: a failed attempt sets `next_attempt_at` with
exponential back-off (base x 2^(attempts-1), capped) until MAX_ATTEMPTS, then `failed`.
Celery tasks never retry; they only wake the sweep. Delivery is at-least-once: a worker
killed after the transport accepted a message but before the finishing UPDATE leaves a
row that is sent again after the lease (documented; the receiver sees the same
notification ids twice).
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from notifications.choices import State
from notifications.messages import message_for, subject_of, test_item
from notifications.models import Channel, Notification, Recipient
from notifications.transports import TRANSPORTS, Transport, TransportError

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def claimable(now: datetime) -> Q:
    return Q(state=State.PENDING, next_attempt_at__lte=now) | Q(
        state=State.SENDING, lease_until__lt=now
    )


def backoff(attempts: int) -> timedelta:
    conf = settings.NOTIFY
    return timedelta(
        seconds=min(conf["RETRY_BASE_S"] * 2 ** max(attempts - 1, 0), conf["RETRY_MAX_S"])
    )


def claim(now: datetime, limit: int, ids: Sequence[int] | None = None) -> list[Notification]:
    candidates = Notification.objects.filter(claimable(now))
    if ids is not None:
        candidates = candidates.filter(pk__in=ids)
    rows = list(
        candidates.order_by("next_attempt_at", "id").values_list(
            "id", "digest", "recipient_id", "channel_id"
        )[:limit]
    )
    if not rows:
        return []
    picked = [r[0] for r in rows]
    if len(rows) == limit and ids is None:
        picked += _rest_of_digests(now, rows)
    token = uuid.uuid4()
    Notification.objects.filter(pk__in=picked).filter(claimable(now)).update(
        state=State.SENDING,
        claim=token,
        lease_until=now + timedelta(seconds=settings.NOTIFY["LEASE_S"]),
        attempts=F("attempts") + 1,
    )
    return list(
        Notification.objects.filter(pk__in=picked, claim=token)
        .select_related("recipient__user", "channel")
        .order_by("id")
    )


def _rest_of_digests(now: datetime, rows: list[tuple[int, bool, int, int]]) -> list[int]:
    """A digest group cut by the batch limit would leave as several messages: claim the
    rest of every group the batch touches (rows are inserted alarm by alarm, so one
    batch holds a slice of each recipient's group)."""
    groups = {(r, c) for _, digest, r, c in rows if digest}
    if not groups:
        return []
    same_group = Q()
    for recipient_id, channel_id in groups:
        same_group |= Q(recipient_id=recipient_id, channel_id=channel_id)
    have = {r[0] for r in rows}
    more = Notification.objects.filter(claimable(now), same_group, digest=True)
    return [pk for pk in more.values_list("id", flat=True) if pk not in have]


@dataclass
class Outcome:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    messages: int = 0
    errors: list[str] = field(default_factory=list)

    def __iadd__(self, other: Outcome) -> Outcome:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.messages += other.messages
        self.errors += other.errors
        return self


def _batches(rows: Sequence[Notification]) -> list[list[Notification]]:
    """Storm control at send time: the digestible rows of one recipient and channel
    claimed together leave as one message; everything else one by one."""
    groups: dict[tuple[int, int], list[Notification]] = defaultdict(list)
    out: list[list[Notification]] = []
    for r in rows:
        if r.digest:
            groups[(r.recipient_id, r.channel_id)].append(r)
        else:
            out.append([r])
    return out + list(groups.values())


def deliver(rows: Sequence[Notification], clock: Clock = timezone.now) -> Outcome:
    transports: dict[int, Transport] = {}
    outcome = Outcome()
    try:
        for batch in _batches(rows):
            outcome += _deliver_batch(batch, transports, clock)
    finally:
        for t in transports.values():
            t.close()
    return outcome


def _deliver_batch(
    batch: list[Notification], transports: dict[int, Transport], clock: Clock
) -> Outcome:
    first = batch[0]
    channel, recipient = first.channel, first.recipient
    transport = transports.get(channel.pk)
    if transport is None:
        transport = transports[channel.pk] = TRANSPORTS[channel.kind](channel)
    why_not = (
        ("channel disabled" if not channel.enabled else "")
        or ("recipient disabled" if not recipient.enabled else "")
        or transport.is_noop(recipient)
    )
    if why_not:
        return _finish(batch, clock(), error=TransportError(why_not, permanent=True))
    message = message_for(batch)
    try:
        result = transport.notify(message, recipient)
    except TransportError as exc:
        log.warning("notification %s via %s failed: %s", message.notification_ids, channel, exc)
        return _finish(batch, clock(), error=exc)
    except Exception as exc:
        # A bug in a transport must not stop the other deliveries: retry like an outage.
        log.exception("transport %s crashed", channel.kind)
        return _finish(batch, clock(), error=TransportError(f"{type(exc).__name__}: {exc}"))
    if len(batch) > 1:
        result = {**result, "digest_of": len(batch)}
    return _finish(batch, clock(), result=result)


def _finish(
    batch: list[Notification],
    now: datetime,
    result: dict[str, Any] | None = None,
    error: TransportError | None = None,
) -> Outcome:
    ids = [r.pk for r in batch]
    mine = Notification.objects.filter(pk__in=ids, claim=batch[0].claim, state=State.SENDING)
    if error is None:
        n = mine.update(
            state=State.SENT, sent_at=now, lease_until=None, last_error="", result=result or {}
        )
        return Outcome(sent=n, messages=1)
    attempts = max(r.attempts for r in batch)
    final = error.permanent or attempts >= settings.NOTIFY["MAX_ATTEMPTS"]
    fields: dict[str, Any] = {
        "lease_until": None,
        "last_error": str(error)[:2000],
        "result": error.result,
    }
    if final:
        n = mine.update(state=State.FAILED, **fields)
        return Outcome(failed=n, errors=[str(error)])
    n = mine.update(state=State.PENDING, next_attempt_at=now + backoff(attempts), **fields)
    return Outcome(retried=n, errors=[str(error)])


def deliver_due(now: datetime | None = None, limit: int | None = None) -> Outcome:
    """Claim and deliver until nothing is due (a fixed `now` makes a test's clock
    the only clock: claims, leases, back-off and sent_at all use it)."""
    limit = limit or settings.NOTIFY["BATCH_SIZE"]
    clock: Clock = (lambda: now) if now is not None else timezone.now
    total = Outcome()
    while rows := claim(clock(), limit):
        total += deliver(rows, clock)
        if len(rows) < limit:
            break
    return total


def deliver_one(pk: int, now: datetime | None = None) -> Outcome:
    clock: Clock = (lambda: now) if now is not None else timezone.now
    rows = claim(clock(), 1, ids=[pk])
    return deliver(rows, clock) if rows else Outcome()


# --- operator actions ----------------------------------------------------------------

RESENDABLE = (State.FAILED, State.HELD, State.SENT)


def resend(ids: Sequence[int], now: datetime | None = None) -> int:
    """Put rows back in the queue as new: attempts from zero, due at once, alone (a
    resend is one message, never folded into a digest)."""
    return Notification.objects.filter(pk__in=ids, state__in=RESENDABLE).update(
        state=State.PENDING,
        attempts=0,
        next_attempt_at=now or timezone.now(),
        last_error="",
        lease_until=None,
        claim=None,
        digest=False,
    )


def create_test(
    recipient: Recipient, channel: Channel, now: datetime | None = None
) -> Notification:
    now = now or timezone.now()
    item = test_item(recipient, channel.name, now)
    return Notification.objects.create(
        key=f"test.{uuid.uuid4().hex}",
        recipient=recipient,
        channel=channel,
        event=item["event"],
        subject=subject_of(item),
        payload=item,
        due_at=now,
        next_attempt_at=now,
        created_at=now,
    )
