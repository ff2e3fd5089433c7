"""Fleet definition: which UPSs to simulate, where, and how they misbehave.

A fleet is a list of `UpsSpec`. JSON file format (a list, or ``{"ups": [...]}``)::

    [{"name": "UPS-001", "address": "127.0.0.2", "port": 1161, "community": "public",
      "model": "single", "sys_object_id": "1.3.6.1.2.1.33", "quirks": ["no_dot_zero"],
      "scenario": "normal", "trap_target": "127.0.0.1:1162", "trap_version": "2c",
      "trap_community": "public"}]

Only ``name`` is required. Every address (agent and trap target) must be IPv4 loopback
(127.0.0.0/8): the simulator never sends anywhere else.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.model import RATINGS, SCENARIOS

DEFAULT_PORT = 1161  # non-root friendly; 161 works when running as root
DEFAULT_BASE_ADDRESS = "127.0.0.2"
DEFAULT_SYS_OBJECT_ID = "1.3.6.1.2.1.33"

QUIRKS: dict[str, str] = {
    "no_dot_zero": "UPS-MIB scalars answered without the .0 suffix",
    "table_dot_zero": "stray .0 after table indexes (upsOutputVoltage.1.0)",
    "partial_mib": "only ident, battery status/runtime/charge, output source and load",
    "scale_x10": "measured voltages and frequencies x10 of RFC 1628 units",
    "garbage": "answers with random bytes",
    "truncated": "answers with a truncated valid response",
    "half": "GET answers only the first half of the OIDs, the rest noSuchObject",
}
TRAP_VERSIONS = ("1", "2c")
TRAP_OID_FORMS = ("plain", "zero")  # 1.3.6.1.2.1.33.2.n  or  1.3.6.1.2.1.33.2.0.n


def parse_endpoint(text: str, default_port: int | None = None) -> tuple[str, int]:
    """``"127.0.0.1:1162"`` → ("127.0.0.1", 1162); rejects anything not on loopback."""
    host, sep, port = text.rpartition(":")
    if not sep:
        if default_port is None:
            raise ValueError(f"endpoint {text!r} needs host:port")
        host, port = text, str(default_port)
    require_loopback(host)
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"bad port in {text!r}") from None
    if not 0 < number < 65536:
        raise ValueError(f"port out of range in {text!r}")
    return host, number


def require_loopback(host: str) -> str:
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not an IP address (use 127.x.y.z)") from None
    if addr.version != 4 or not addr.is_loopback:
        raise ValueError(f"{host} is not IPv4 loopback: the simulator only uses 127.0.0.0/8")
    return host


@dataclass(slots=True)
class UpsSpec:
    name: str
    address: str = DEFAULT_BASE_ADDRESS
    port: int = DEFAULT_PORT
    community: str = "public"
    write_community: str = "private"  # SET of upsTestId (start a self-test)
    model: str = "single"  # "single" (1 line) | "three" (3 lines)
    sys_object_id: str = DEFAULT_SYS_OBJECT_ID
    quirks: tuple[str, ...] = ()
    scenario: str = "normal"
    trap_target: str | None = None  # "127.0.0.1:1162"
    trap_version: str = "2c"  # "1" | "2c"
    trap_community: str = "public"
    trap_oid_form: str = "plain"  # "plain" (…33.2.n) | "zero" (…33.2.0.n)
    extra: dict[str, Any] = field(default_factory=dict)  # unknown JSON keys, kept verbatim

    def __post_init__(self) -> None:
        self.quirks = tuple(self.quirks)
        self.trap_version = str(self.trap_version).lower().removeprefix("v")
        require_loopback(self.address)
        if self.model not in RATINGS:
            raise ValueError(f"{self.name}: model must be one of {sorted(RATINGS)}")
        if unknown := set(self.quirks) - set(QUIRKS):
            raise ValueError(f"{self.name}: unknown quirks {sorted(unknown)}; known {list(QUIRKS)}")
        if self.scenario not in SCENARIOS:
            raise ValueError(f"{self.name}: unknown scenario {self.scenario!r}")
        if self.trap_version not in TRAP_VERSIONS:
            raise ValueError(f"{self.name}: trap_version must be '1' or '2c'")
        if self.trap_oid_form not in TRAP_OID_FORMS:
            raise ValueError(f"{self.name}: trap_oid_form must be 'plain' or 'zero'")
        if self.trap_target is not None:
            parse_endpoint(self.trap_target, 162)
        if not 0 <= int(self.port) < 65536:
            raise ValueError(f"{self.name}: bad port {self.port}")

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["quirks"] = list(self.quirks)
        data.update(data.pop("extra"))
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UpsSpec:
        if not isinstance(data, dict) or "name" not in data:
            raise ValueError(f"each UPS needs an object with a name, got {data!r}")
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        args = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**args, extra=extra)


def make_fleet(
    count: int,
    base_address: str = DEFAULT_BASE_ADDRESS,
    *,
    port: int = DEFAULT_PORT,
    prefix: str = "UPS-",
    community: str = "public",
    three_phase_every: int = 5,
    sys_object_id: str = DEFAULT_SYS_OBJECT_ID,
    quirks: Sequence[str] = (),
    scenario: str = "normal",
    trap_target: str | None = None,
    trap_version: str = "2c",
    trap_community: str = "public",
    trap_oid_form: str = "plain",
) -> list[UpsSpec]:
    """`count` UPSs on consecutive loopback addresses; every n-th one three-phase."""
    first = ipaddress.IPv4Address(require_loopback(base_address))
    width = max(3, len(str(count)))
    fleet = []
    for i in range(count):
        address = first + i
        if not address.is_loopback or address == ipaddress.IPv4Address("127.255.255.255"):
            raise ValueError(f"{count} UPSs from {base_address} leave 127.0.0.0/8")
        three = three_phase_every > 0 and (i + 1) % three_phase_every == 0
        fleet.append(
            UpsSpec(
                name=f"{prefix}{i + 1:0{width}d}",
                address=str(address),
                port=port,
                community=community,
                model="three" if three else "single",
                sys_object_id=sys_object_id,
                quirks=tuple(quirks),
                scenario=scenario,
                trap_target=trap_target,
                trap_version=trap_version,
                trap_community=trap_community,
                trap_oid_form=trap_oid_form,
            )
        )
    return fleet


def load_fleet(path: str | Path) -> list[UpsSpec]:
    data = json.loads(Path(path).read_text())
    if isinstance(data, dict):
        data = data.get("ups")
    if not isinstance(data, list):
        raise ValueError("a fleet file is a JSON list of UPS objects (or {'ups': [...]})")
    fleet = [UpsSpec.from_json(item) for item in data]
    names = [u.name for u in fleet]
    if len(set(names)) != len(names):
        raise ValueError("UPS names in a fleet must be unique")
    return fleet


def save_fleet(fleet: Sequence[UpsSpec], path: str | Path) -> None:
    Path(path).write_text(json.dumps([u.to_json() for u in fleet], indent=2) + "\n")
