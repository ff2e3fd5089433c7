"""Admin for the inventory, plus read-only views of the current state and measurements.

Communities are secrets: no list column, no search field and no URL filter touches them,
and the form (monitoring.forms.UpsForm) never renders them back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from monitoring.choices import UpsState
from monitoring.forms import SECRET_FIELDS, UpsForm
from monitoring.models import Measurement, Region, SensorPoint, Site, Ups, UpsStatus
from unms.admin_base import ReadOnlyAdmin


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "site_count")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Region]:
        return super().get_queryset(request).annotate(site_total=Count("sites"))

    @admin.display(description="sites", ordering="site_total")
    def site_count(self, obj: Any) -> int:
        return int(obj.site_total)


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "ups_count")
    list_filter = ("region",)
    list_select_related = ("region",)
    search_fields = ("name", "description")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Site]:
        return super().get_queryset(request).annotate(ups_total=Count("upses"))

    @admin.display(description="UPSs", ordering="ups_total")
    def ups_count(self, obj: Any) -> int:
        return int(obj.ups_total)


# Nothing stored yet on the add page: neither a trap community to clear nor timestamps.
_ADD_HIDDEN = frozenset({"clear_trap_community", "next_poll_at", "created_at", "updated_at"})


class SensorPointInline(admin.TabularInline):
    """Sensor points on the UPS's card (docs/sensors.md); validated by SensorPoint.clean."""

    model = SensorPoint
    extra = 0
    fields = (
        "source", "quantity", "name", "unit", "divisor", "offset", "normal_state", "severity",
        "low_alarm", "low_warning", "high_warning", "high_alarm", "hysteresis", "enabled",
        "value", "level",
    )  # fmt: skip
    readonly_fields = ("value", "level")


@admin.register(Ups)
class UpsAdmin(admin.ModelAdmin):
    form = UpsForm
    inlines = (SensorPointInline,)
    list_display = ("name", "site", "host", "port", "snmp_version", "enabled", "state")
    list_filter = ("site", "site__region", "enabled", "snmp_version")
    list_select_related = ("site", "status")
    search_fields = ("name", "host", "serial_number")
    readonly_fields = ("next_poll_at", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "site", "enabled", "notes")}),
        (
            "SNMP",
            {
                "fields": (
                    "host",
                    "port",
                    "snmp_version",
                    "community",
                    "trap_community",
                    "clear_trap_community",
                    "poll_interval_s",
                )
            },
        ),
        (
            "Profile and thresholds",
            {"fields": ("profile", "profile_overrides", "threshold_overrides")},
        ),
        (
            "Nameplate",
            {
                "fields": (
                    "model",
                    "serial_number",
                    "rated_va",
                    "installed_on",
                    "battery_installed_on",
                )
            },
        ),
        ("Scheduling", {"fields": ("next_poll_at", "created_at", "updated_at")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Ups | None = None) -> Any:
        if obj is not None:
            return self.fieldsets
        return [
            (
                title,
                {**options, "fields": tuple(f for f in options["fields"] if f not in _ADD_HIDDEN)},
            )
            for title, options in self.fieldsets
            if title != "Scheduling"
        ]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The admin accepts ?<local field>=... filters from the URL by default: on a secret
        # that is an oracle (guess, look at the row count). Refused like any unknown lookup.
        if lookup.split("__", 1)[0] in SECRET_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="state", ordering="status__state")
    def state(self, obj: Ups) -> str:
        status: UpsStatus | None = getattr(obj, "status", None)
        if status is None:
            return "—"
        return UpsState(status.state).label


@admin.register(UpsStatus)
class UpsStatusAdmin(ReadOnlyAdmin):
    list_display = (
        "ups",
        "state",
        "state_since",
        "last_poll_at",
        "last_success_at",
        "consecutive_failures",
        "last_error",
    )
    list_filter = ("state", "ups__site")
    list_select_related = ("ups",)
    search_fields = ("ups__name", "ups__host")


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: COUNT(*) over a year of measurements (~160 M rows) takes
    minutes on PostgreSQL, and nobody pages that far in the admin anyway."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        object_list: Any = self.object_list
        return int(object_list.values("pk")[: self.CAP].count())


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyAdmin):
    list_display = (
        "ups",
        "taken_at",
        "reachable",
        "state",
        "charge_pct",
        "runtime_remaining_s",
        "load_pct",
        "output_source",
    )
    list_filter = ("state", "reachable")
    list_select_related = ("ups",)
    search_fields = ("ups__name",)
    # The primary key follows insertion time and is indexed; "-taken_at" over every UPS
    # would sort the whole table.
    ordering = ("-id",)
    paginator = CappedCountPaginator
    show_full_result_count = False


from monitoring import admin_traps  # noqa: E402, F401  (the trap log's admin)
