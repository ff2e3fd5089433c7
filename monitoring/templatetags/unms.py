from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

# Column headers for per-line tables: the field suffix names the unit.
_UNITS = {
    "_v": "Voltage (V)",
    "_hz": "Frequency (Hz)",
    "_a": "Current (A)",
    "_w": "Power (W)",
    "_pct": "Load (%)",
}


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def unit_label(field: str) -> str:
    for suffix, label in _UNITS.items():
        if field.endswith(suffix):
            return label
    return field
