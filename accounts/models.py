"""Users' scope, the audit log and failed logins."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone

from monitoring.models import Region, Site


class UserScope(models.Model):
    """Restricts an operator or viewer to some regions and/or sites.

    No row, or a row with neither regions nor sites: the whole estate. A region grants
    every site in it, including sites added to it later.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scope"
    )
    regions = models.ManyToManyField(Region, blank=True, related_name="+")
    sites = models.ManyToManyField(Site, blank=True, related_name="+")

    class Meta:
        verbose_name = "restriction to regions and sites"
        verbose_name_plural = "restrictions to regions and sites"

    def __str__(self) -> str:
        return f"scope of {self.user}"

    @property
    def is_limited(self) -> bool:
        if self.pk is None:
            return False
        return self.regions.exists() or self.sites.exists()


class AuditAction(models.TextChoices):
    CREATE = "create", "created"
    UPDATE = "update", "changed"
    DELETE = "delete", "deleted"
    ROLE = "role", "role or scope changed"
    IMPORT = "import", "imported"
    LICENCE = "licence", "licence installed"
    ACKNOWLEDGE = "acknowledge", "acknowledged"
    LOGIN = "login", "logged in"
    LOGIN_FAILED = "login_failed", "login failed"
    LOCKOUT = "lockout", "locked out"
    OTHER = "other", "other"


class AuditEntry(models.Model):
    """One change made by a person. Append-only: save() refuses updates, delete() refuses,
    and on PostgreSQL a trigger refuses UPDATE and DELETE (migration 0002).

    `actor` has no database constraint and no cascade: deleting a user must neither delete
    nor rewrite their history; `actor_name` keeps who it was.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, help_text="User name at the time.")
    source = models.CharField(max_length=30, help_text="admin, web, import, command, api...")
    ip = models.GenericIPAddressField(null=True, blank=True, unpack_ipv4=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True, help_text="app_label.model")
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    # {"field": [before, after]}; secrets appear as "***" (changed, value never stored).
    changes = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor_name", "at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("the audit log is append-only")


class LoginFailure(models.Model):
    """A failed login, for throttling (accounts.throttle). Old rows are pruned."""

    id = models.BigAutoField(primary_key=True)
    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, unpack_ipv4=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["ip", "at"], name="loginfailure_ip_idx")]

    def __str__(self) -> str:
        return f"{self.username} from {self.ip} at {self.at:%Y-%m-%d %H:%M:%S}"
