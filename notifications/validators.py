"""Field validators for channels.

The webhook URL validator refuses nothing but non-HTTP schemes: chat tools and SMS
gateways live anywhere, and only administrators configure channels. Tests and the demo
point at loopback receivers only.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError


def validate_webhook_url(value: str) -> None:
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("An http:// or https:// URL with a host.")


def validate_program_path(value: str) -> None:
    """Absolute path, and inside one of NOTIFY["PROGRAM_DIRS"] when that list is set."""
    if not value:
        return
    path = PurePosixPath(value)
    if not path.is_absolute() or ".." in path.parts:
        raise ValidationError("An absolute path without '..'.")
    allowed = settings.NOTIFY.get("PROGRAM_DIRS") or []
    if allowed and not any(path.is_relative_to(PurePosixPath(d)) for d in allowed):
        raise ValidationError(f"Programs must live in: {', '.join(allowed)}.")
