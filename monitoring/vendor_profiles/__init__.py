"""Vendor profiles as data: one module per vendor family (docs/profiles.md).

`ALL` is what the profile registry loads; `DETECT_RULES` what detection tries;
`TRAPS` what the trap receiver's table adds. Adding a vendor = a module here plus one
line in each tuple below.
"""

from __future__ import annotations

from monitoring.profiles import Profile
from monitoring.vendor_profiles import apc, cyberpower, eaton, generex, socomec, xppc
from monitoring.vendor_profiles.base import DetectRule, VendorTrap

ALL: tuple[Profile, ...] = (
    generex.PROFILE,
    apc.PROFILE,
    eaton.XUPS,
    eaton.MGE,
    cyberpower.PROFILE,
    socomec.NV5,
    socomec.NV7,
    xppc.PROFILE,
)

DETECT_RULES: tuple[DetectRule, ...] = tuple(
    sorted(
        (
            generex.DETECT,
            apc.DETECT,
            eaton.XUPS_DETECT,
            eaton.MGE_DETECT,
            cyberpower.DETECT,
            socomec.NV7_DETECT,
            socomec.NV5_DETECT,
            xppc.DETECT,
        ),
        key=lambda rule: rule.priority,
    )
)

TRAPS: tuple[VendorTrap, ...] = (
    *apc.TRAPS,
    *eaton.XUPS_TRAPS,
    *eaton.MGE_TRAPS,
    *cyberpower.TRAPS,
    *socomec.NV5_TRAPS,
    *socomec.NV7_TRAPS,
    *xppc.TRAPS,
    *generex.TRAPS,
)

__all__ = ["ALL", "DETECT_RULES", "TRAPS", "DetectRule", "VendorTrap"]
