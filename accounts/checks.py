"""Deployment checks of our own (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def encryption_key_set(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if getattr(settings, "SECRET_ENCRYPTION_KEYS", None):
        return []
    return [
        Warning(
            "UNMS_SECRET_KEY_ENCRYPTION is not set: SNMP communities and other secrets are "
            "encrypted with a key derived from DJANGO_SECRET_KEY, so changing that key "
            "makes them unreadable.",
            hint="Set UNMS_SECRET_KEY_ENCRYPTION to a Fernet key (docs/security.md).",
            id="unms.W001",
        )
    ]
