"""The fleet as the dashboard shows it: regions, their sites with their UPSs, states and
key values. The page renders this once; live updates then come over the WebSocket."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from accounts.roles import restrict
from monitoring.choices import UpsState
from monitoring.models import Measurement, Site, Ups, UpsStatus


@dataclass
class UpsTile:
    ups: Ups
    state: UpsState
    reasons: list[str]
    measurement: Measurement | None


@dataclass
class SiteGroup:
    site: Site
    tiles: list[UpsTile] = field(default_factory=list)

    @property
    def worst(self) -> UpsState:
        return max((t.state for t in self.tiles), key=lambda s: s.rank, default=UpsState.OK)


@dataclass
class RegionGroup:
    name: str  # "" for sites without a region
    sites: list[SiteGroup] = field(default_factory=list)


@dataclass
class FleetOverview:
    sites: list[SiteGroup]
    counts: dict[UpsState, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def regions(self) -> list[RegionGroup]:
        """Sites grouped by region, in the order of `sites` (region name, site name)."""
        groups: dict[str, RegionGroup] = {}
        for group in self.sites:
            name = group.site.region.name if group.site.region else ""
            groups.setdefault(name, RegionGroup(name)).sites.append(group)
        return list(groups.values())


def _tile(ups: Ups) -> UpsTile:
    status: UpsStatus | None = getattr(ups, "status", None)
    if status is None or not ups.enabled:
        return UpsTile(ups, UpsState.UNKNOWN, [] if ups.enabled else ["disabled"], None)
    return UpsTile(ups, UpsState(status.state), status.reasons, status.measurement)


def fleet_overview(user: Any) -> FleetOverview:
    """Every site the user sees with its UPSs (accounts.roles scope); three queries
    whatever the fleet size."""
    upses = restrict(
        user,
        Ups.objects.select_related("site", "status", "status__measurement"),
        "site",
    ).order_by("site__name", "name")
    groups: dict[int, SiteGroup] = {
        site.pk: SiteGroup(site)
        for site in restrict(user, Site.objects.select_related("region"), "")
    }
    counts: Counter[UpsState] = Counter()
    for ups in upses:
        tile = _tile(ups)
        groups[ups.site_id].tiles.append(tile)
        counts[tile.state] += 1
    # Sites without a region come last: named regions are what operators look for first.
    ordered = sorted(
        groups.values(),
        key=lambda g: (
            g.site.region is None,
            g.site.region.name if g.site.region else "",
            g.site.name,
        ),
    )
    return FleetOverview(
        sites=ordered,
        counts={state: counts.get(state, 0) for state in sorted(UpsState, key=lambda s: -s.rank)},
    )
