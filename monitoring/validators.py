"""Field validators shared by forms, the admin and the CSV import."""

from __future__ import annotations

import ipaddress
import re

from django.core.exceptions import ValidationError

# RFC 1123 host names: labels of letters, digits and hyphens, not starting/ending with '-'.
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def validate_host(value: str) -> None:
    """An IPv4/IPv6 address or a DNS name; nothing with spaces, slashes or ports."""
    try:
        ipaddress.ip_address(value)
        return
    except ValueError:
        pass
    if not _HOSTNAME.match(value) or value.replace(".", "").isdigit():
        raise ValidationError("Enter an IP address or a host name (no port, no spaces).")
