"""The audit log: every change a person makes, with who, when, what, before and after.

How changes get here:

- **Any model saved or deleted while a person is acting** is recorded by the model
  signals connected in `connect()`: a web request by a logged-in user (the
  `AuditActorMiddleware` sets the actor), or a command run inside `acting_as(...)` (the
  CSV import, `install_licence`). This covers the admin, settings pages and API writes of
  other apps without each one remembering to call us. Writes by the system (the poller,
  the trap receiver) have no actor and are not recorded; the models that only the system
  writes, or that keep their own history, are in `NOT_AUDITED`.
- **Actions that are not a row change** (licence installed, login, lockout, an import's
  summary) call `record()` directly.

Secrets (SNMP communities, passwords, webhook secrets: `is_secret_field`) are compared but
never stored: a changed secret shows as ["***", "***"].

Append-only: `AuditEntry.save()` refuses updates and `delete()` refuses; on PostgreSQL a
trigger refuses UPDATE/DELETE too.
"""

from __future__ import annotations

import datetime as dt
import decimal
import getpass
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

logger = logging.getLogger(__name__)

MASK = "***"

#: Models never recorded (app_label.model_name, or app_label alone): written by the system,
#: framework bookkeeping, or with their own append-only history (alarm events).
NOT_AUDITED: frozenset[str] = frozenset(
    {
        "sessions",
        "contenttypes",
        "migrations",
        "admin.logentry",
        "auth.permission",
        "accounts.auditentry",
        "accounts.loginfailure",
        "monitoring.upsstatus",
        "monitoring.measurement",
        "monitoring.trap",
        "alarms.alarmevent",
        "licensing.licencenotice",
    }
)
#: Fields whose changes are noise: bookkeeping the system maintains.
_IGNORED_FIELDS = frozenset({"last_login", "updated_at", "created_at", "next_poll_at"})
#: Field names that hold secrets, besides fields marked `secret = True` (EncryptedField).
_SECRET_NAMES = frozenset({"password", "community", "trap_community", "secret", "token"})
_SECRET_SUFFIXES = ("_secret", "_token", "_password", "_key")
#: Groups and scope are roles: their changes are tagged as such.
_ROLE_RELATIONS = frozenset(
    {
        "auth.user.groups",
        "accounts.userscope.regions",
        "accounts.userscope.sites",
        "auth.user.user_permissions",
    }
)


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    name: str
    source: str
    ip: str | None = None


_actor: ContextVar[Callable[[], Actor | None] | None] = ContextVar("unms_audit_actor", default=None)


@contextmanager
def acting_as(
    user: Any = None, *, source: str = "command", name: str = "", ip: str | None = None
) -> Iterator[Actor]:
    """Record the changes made inside the block as made by `user` (or `name`).

    Commands run by a person without a user account pass `name` (default: the OS user).
    """
    actor = Actor(
        user_id=getattr(user, "pk", None),
        name=(user.get_username() if user is not None else "") or name or _os_user(),
        source=source,
        ip=ip,
    )
    token = _actor.set(lambda: actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


@contextmanager
def acting_lazily(resolve: Callable[[], Actor | None]) -> Iterator[None]:
    """Like `acting_as`, but the actor is found only when something is written (the
    middleware: most requests write nothing, so they should not load the user for us)."""
    cache: list[Actor | None] = []

    def once() -> Actor | None:
        if not cache:
            cache.append(resolve())
        return cache[0]

    token = _actor.set(once)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> Actor | None:
    resolve = _actor.get()
    return resolve() if resolve is not None else None


def _os_user() -> str:
    try:
        return f"os:{getpass.getuser()}"
    except (OSError, KeyError):
        return "os:unknown"


# --- Values -------------------------------------------------------------------------------


def is_secret_field(field: Any) -> bool:
    name = getattr(field, "name", "")
    return bool(
        getattr(field, "secret", False) or name in _SECRET_NAMES or name.endswith(_SECRET_SUFFIXES)
    )


def _json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return value
    return str(value)


def _fields(model: type[models.Model]) -> list[Any]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in _IGNORED_FIELDS and not f.primary_key
    ]


def snapshot(instance: models.Model) -> dict[str, Any]:
    """Raw field values by name (foreign keys by id). Secrets included: compare, never store."""
    return {f.name: getattr(instance, f.attname) for f in _fields(type(instance))}


def diff(
    model: type[models.Model], before: dict[str, Any] | None, after: dict[str, Any] | None
) -> dict[str, list[Any]]:
    """{field: [before, after]} of what differs, JSON-safe, secrets masked."""
    changes: dict[str, list[Any]] = {}
    for f in _fields(model):
        old = before.get(f.name) if before is not None else None
        new = after.get(f.name) if after is not None else None
        if before is not None and after is not None and old == new:
            continue
        if before is None and new in (None, "", {}, []):
            continue  # a creation lists what was set, not every empty field
        if after is None and old in (None, "", {}, []):
            continue
        if is_secret_field(f):
            changes[f.name] = [MASK if old else "", MASK if new else ""]
        else:
            changes[f.name] = [_json(old), _json(new)]
    return changes


def mask_text(text: str, secrets: list[str]) -> str:
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


# --- Writing ------------------------------------------------------------------------------


def label(model: type[models.Model] | models.Model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def is_audited(model: type[models.Model]) -> bool:
    return model._meta.app_label not in NOT_AUDITED and label(model) not in NOT_AUDITED


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    changes: dict[str, list[Any]] | None = None,
    message: str = "",
    actor: Actor | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> Any:
    """Append one entry. Without an actor (set, or current) it is recorded as "system"."""
    from accounts.models import AuditEntry

    who = actor or current_actor() or Actor(None, "system", "system")
    if obj is not None:
        object_type = object_type or label(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    return AuditEntry.objects.create(
        actor_id=who.user_id,
        actor_name=who.name[:150],
        source=who.source[:30],
        ip=who.ip,
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        object_repr=object_repr[:200],
        changes=changes or {},
        message=message,
    )


# --- Model signals ------------------------------------------------------------------------

_BEFORE = "_audit_before"


def _on_pre_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if kwargs.get("raw") or not is_audited(sender) or current_actor() is None:
        return
    if instance._state.adding or instance.pk is None:
        return
    stored = sender._base_manager.filter(pk=instance.pk).first()
    setattr(instance, _BEFORE, snapshot(stored) if stored is not None else None)


def _on_post_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if kwargs.get("raw") or not is_audited(sender):
        return
    actor = current_actor()
    if actor is None:
        return
    from accounts.models import AuditAction

    before = None if created else instance.__dict__.pop(_BEFORE, None)
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and set(update_fields) <= _IGNORED_FIELDS:
        return
    changes = diff(sender, before, snapshot(instance))
    if not created and not changes:
        return
    record(
        AuditAction.CREATE if created else AuditAction.UPDATE,
        instance,
        changes=changes,
        actor=actor,
    )


def _on_pre_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if is_audited(sender) and current_actor() is not None:
        setattr(instance, _BEFORE, (snapshot(instance), str(instance), str(instance.pk)))


def _on_post_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    saved = instance.__dict__.pop(_BEFORE, None)
    actor = current_actor()
    if saved is None or actor is None:
        return
    from accounts.models import AuditAction

    values, text, pk = saved
    record(
        AuditAction.DELETE,
        None,
        changes=diff(sender, values, None),
        actor=actor,
        object_type=label(sender),
        object_id=pk,
        object_repr=text,
    )


def _on_m2m_changed(
    sender: Any,
    instance: models.Model,
    action: str,
    reverse: bool,
    model: type[models.Model],
    pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    if reverse or not is_audited(type(instance)) or current_actor() is None:
        return
    field = next(
        (f for f in type(instance)._meta.many_to_many if f.remote_field.through is sender), None
    )
    if field is None:
        return
    key = f"_audit_m2m_{field.name}"
    if action in ("pre_add", "pre_remove", "pre_clear"):
        current = getattr(instance, field.name).all()
        instance.__dict__[key] = sorted(str(o) for o in current)
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    before = instance.__dict__.pop(key, [])
    after = sorted(str(o) for o in getattr(instance, field.name).all())
    if before == after:
        return
    from accounts.models import AuditAction

    relation = f"{label(instance)}.{field.name}"
    action_kind = AuditAction.ROLE if relation in _ROLE_RELATIONS else AuditAction.UPDATE
    target = instance
    if label(instance) == "accounts.userscope":
        target = instance.user  # type: ignore[attr-defined]
    record(
        action_kind,
        target,
        changes={field.name: [before, after]},
        message=f"{field.verbose_name} of {instance}",
    )


def connect() -> None:
    for signal, handler in (
        (pre_save, _on_pre_save),
        (post_save, _on_post_save),
        (pre_delete, _on_pre_delete),
        (post_delete, _on_post_delete),
        (m2m_changed, _on_m2m_changed),
    ):
        signal.connect(handler, dispatch_uid=f"accounts.audit.{handler.__name__}")


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from accounts.middleware import _source, client_ip
    from accounts.models import AuditAction

    path = getattr(request, "path", "") if request is not None else ""
    ip = client_ip(request) if request is not None else None
    record(AuditAction.LOGIN, user, actor=Actor(user.pk, user.get_username(), _source(path), ip))
