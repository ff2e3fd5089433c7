"""The licence limit on every path that adds or enables a UPS.

Two layers:

1. The paths people use check first, inside their transaction, so the refusal is a form
   error or a rejected import row: `UpsForm.clean` (the admin and the CSV import share it)
   calls `check_form`.
2. A model-level guard catches every other path (API, discovery, a shell, a future page):
   `pre_save` of `Ups` refuses a save that would add or enable a UPS beyond the limit.

Race safety comes from `service.check_activation` locking the licence row until the
transaction that saves the UPS ends. A save outside any transaction (autocommit) is still
checked, but cannot hold the lock: every path we ship saves inside `transaction.atomic`.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_save

from licensing.service import check_activation


def activates(ups: Any, *, stored_enabled: bool | None) -> bool:
    """Saving `ups` makes it monitored: new and enabled, or enabled again."""
    if not ups.enabled:
        return False
    return ups.pk is None or ups._state.adding or stored_enabled is False


def _stored_enabled(ups: Any) -> bool | None:
    if ups.pk is None:
        return None
    return type(ups)._base_manager.filter(pk=ups.pk).values_list("enabled", flat=True).first()


def check_form(instance: Any, enabled: bool, stored_enabled: bool | None) -> None:
    """For forms: raise LicenceLimitError if saving with `enabled` adds a monitored UPS."""
    if not enabled:
        return
    if instance.pk is not None and stored_enabled:
        return
    check_activation(exclude_pk=instance.pk)


def _guard(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or not instance.enabled:
        return  # fixtures load as they are; a disabled UPS is never counted
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and "enabled" not in update_fields:
        return
    adding = instance.pk is None or instance._state.adding
    stored = None if adding else _stored_enabled(instance)
    if adding or stored is False or stored is None:
        check_activation(exclude_pk=None if adding else instance.pk)


def connect() -> None:
    from monitoring.models import Ups

    pre_save.connect(_guard, sender=Ups, dispatch_uid="licensing.enforcement.guard")
