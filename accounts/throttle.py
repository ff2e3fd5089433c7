"""Login throttling: too many failures for one user name, or from one address, lock it out
for a while. Counted in the database, so every web process of a deployment agrees.

The lock applies to user names that do not exist too (otherwise the lockout message would
tell an attacker which names are real), and to the correct password (otherwise guessing
would go on and merely be told "locked" when it succeeds).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone


@dataclass(frozen=True, slots=True)
class Policy:
    per_user: int
    per_ip: int
    window: dt.timedelta

    @classmethod
    def from_settings(cls) -> Policy:
        conf: dict[str, Any] = settings.UNMS.get("LOGIN_THROTTLE", {})
        return cls(
            per_user=int(conf.get("PER_USER", 5)),
            per_ip=int(conf.get("PER_IP", 30)),
            window=dt.timedelta(seconds=int(conf.get("WINDOW_S", 900))),
        )


class LoginLocked(ValidationError):
    """Raised from authenticate(): the login form shows its message as a form error."""


def normalise(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


def check(username: str | None, ip: str | None, now: dt.datetime | None = None) -> None:
    """Raise LoginLocked if this user name or this address failed too often recently."""
    from accounts.models import LoginFailure

    policy = Policy.from_settings()
    now = now or timezone.now()
    recent = LoginFailure.objects.filter(at__gt=now - policy.window)
    name = normalise(username)
    by_name = recent.filter(username=name).order_by("-at").values_list("at", flat=True)
    if name and len(failures := list(by_name[: policy.per_user])) >= policy.per_user:
        raise LoginLocked(_message(failures[-1] + policy.window - now), code="locked")
    if ip:
        by_ip = recent.filter(ip=ip).order_by("-at").values_list("at", flat=True)
        if len(failures := list(by_ip[: policy.per_ip])) >= policy.per_ip:
            raise LoginLocked(_message(failures[-1] + policy.window - now), code="locked")


def _message(wait: dt.timedelta) -> str:
    minutes = max(1, int(wait.total_seconds() + 59) // 60)
    return (
        f"Too many failed logins: this account or address is locked for {minutes} more "
        f"minute(s). Try again later, or ask an administrator."
    )


def failed(username: str | None, ip: str | None) -> bool:
    """Record a failure; True when it is the one that locks the name or the address."""
    from accounts.models import LoginFailure

    policy = Policy.from_settings()
    now = timezone.now()
    name = normalise(username)
    LoginFailure.objects.create(username=name, ip=ip, at=now)
    # Pruned here, not by a periodic task: the table then never grows past one window.
    LoginFailure.objects.filter(at__lt=now - policy.window * 4).delete()
    count = LoginFailure.objects.filter(username=name, at__gt=now - policy.window).count()
    return count == policy.per_user


def succeeded(username: str | None) -> None:
    from accounts.models import LoginFailure

    LoginFailure.objects.filter(username=normalise(username)).delete()
