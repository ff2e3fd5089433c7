"""The licence in force, its usage, installing a key, and the limit check.

Expiry or a downgrade never disables or deletes anything: it only lowers the limit that
`check_activation` applies to UPSs being added or enabled. A fleet above the limit keeps
being monitored; the banner says how to get back within it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from licensing.keys import verifying_keys
from licensing.models import LicenceState
from licensing.tokens import FREE_LIMIT, Licence, LicenceError, Tier, verify

#: Days before expiry at which the banner warns (and the administrators get an e-mail).
WARN_DAYS = 30


class LicenceLimitError(ValidationError):
    """Adding or enabling a UPS would exceed the licence. A ValidationError, so forms show
    it as an error and the import reports it as a rejected row."""


@dataclass(frozen=True, slots=True)
class LicenceStatus:
    licence: Licence | None  # the installed key, verified (expired or not)
    problem: str  # why the installed key is not in force ("" when it is, or none installed)
    used: int  # monitored (enabled) UPSs
    today: dt.date

    @property
    def in_force(self) -> bool:
        return self.licence is not None and not self.licence.expired(self.today)

    @property
    def tier(self) -> Tier:
        return self.licence.tier if self.in_force and self.licence else Tier.FREE

    @property
    def limit(self) -> int:
        return self.tier.limit

    @property
    def expired(self) -> bool:
        return self.licence is not None and self.licence.expired(self.today)

    @property
    def expires(self) -> dt.date | None:
        return self.licence.expires if self.licence else None

    @property
    def days_left(self) -> int | None:
        if self.licence is None or self.licence.expires is None:
            return None
        return (self.licence.expires - self.today).days

    @property
    def expiring_soon(self) -> bool:
        days = self.days_left
        return self.in_force and days is not None and days <= WARN_DAYS

    @property
    def over_limit(self) -> bool:
        return self.used > self.limit

    @property
    def excess(self) -> int:
        """How many UPSs to disable to get back within the limit."""
        return max(0, self.used - self.limit)

    @property
    def at_limit(self) -> bool:
        return self.used >= self.limit

    @property
    def usage(self) -> str:
        return f"{self.used} of {self.limit} UPSs"


def _state(lock: bool = False) -> LicenceState:
    manager = LicenceState.objects
    if lock and connection.in_atomic_block:
        # SQLite ignores FOR UPDATE; its IMMEDIATE transactions serialise writers instead.
        found = manager.select_for_update().filter(pk=LicenceState.SINGLETON_ID).first()
    else:
        found = manager.filter(pk=LicenceState.SINGLETON_ID).first()
    if found is None:
        # The migration creates the row; this covers a table emptied by hand (or a test
        # flush). get_or_create: two processes racing here both end with the same row.
        found, _ = manager.get_or_create(pk=LicenceState.SINGLETON_ID)
        if lock and connection.in_atomic_block:
            found = manager.select_for_update().get(pk=LicenceState.SINGLETON_ID)
    return found


def _read(state: LicenceState) -> tuple[Licence | None, str]:
    if not state.key:
        return None, ""
    try:
        return verify(state.key, verifying_keys()), ""
    except LicenceError as exc:
        return None, f"The installed licence key is not valid: {exc}"


def monitored_count(exclude_pk: int | None = None) -> int:
    from monitoring.models import Ups

    upses = Ups.objects.filter(enabled=True)
    if exclude_pk is not None:
        upses = upses.exclude(pk=exclude_pk)
    return upses.count()


def status(today: dt.date | None = None) -> LicenceStatus:
    licence, problem = _read(_state())
    return LicenceStatus(licence, problem, monitored_count(), today or timezone.localdate())


def install(key: str, *, today: dt.date | None = None) -> Licence:
    """Verify and install `key` (replacing any other). LicenceError if refused.

    The change is audited as the current actor's (accounts.audit).
    """
    from accounts import audit
    from accounts.models import AuditAction

    today = today or timezone.localdate()
    licence = verify(key, verifying_keys(), today)
    with transaction.atomic():
        state = _state(lock=True)
        before, _ = _read(state)
        actor = audit.current_actor()
        state.key = "".join(key.split())
        state.installed_at = timezone.now()
        state.installed_by = actor.name if actor else ""
        state.notices_sent = []
        # The row change itself is summarised by the LICENCE entry below.
        LicenceState.objects.filter(pk=state.pk).update(
            key=state.key,
            installed_at=state.installed_at,
            installed_by=state.installed_by,
            notices_sent=[],
        )
        used = monitored_count()
        audit.record(
            AuditAction.LICENCE,
            state,
            changes={
                "licence": [before.describe() if before else "Free", licence.describe()],
                "licence id": [before.id if before else "", licence.id],
            },
            message=f"{licence.describe()}; {used} of {licence.limit} UPSs monitored",
        )
    return licence


def check_activation(exclude_pk: int | None = None) -> None:
    """Raise LicenceLimitError unless one more UPS may be monitored.

    `exclude_pk`: the UPS being enabled (not counted twice if it is already stored).
    Call inside the transaction that saves the UPS: the licence row stays locked until
    that transaction ends, so concurrent additions are counted one after the other.
    """
    state = _state(lock=True)
    licence, _ = _read(state)
    today = timezone.localdate()
    in_force = licence is not None and not licence.expired(today)
    tier = licence.tier if in_force and licence else Tier.FREE
    limit = tier.limit
    used = monitored_count(exclude_pk)
    if used + 1 <= limit:
        return
    raise LicenceLimitError(
        limit_message(used, limit, tier, expired=licence is not None and not in_force),
        code="licence_limit",
    )


def limit_message(used: int, limit: int, tier: Tier, *, expired: bool = False) -> str:
    why = (
        f"The licence has expired, so the free tier's limit of {FREE_LIMIT} applies"
        if expired
        else f"The {tier.label} licence allows {limit} monitored UPSs"
    )
    fix = f"disable {used - limit + 1} UPSs" if used > limit else "disable another UPS"
    return (
        f"Licence limit reached: {used} of {limit} UPSs are monitored. {why}. "
        f"To monitor this UPS, install a licence for more UPSs (Administration → Licence, "
        f"or manage.py install_licence) or {fix} first. Disabled UPSs can still be added."
    )
