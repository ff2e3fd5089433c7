"""Admin for the trap log: read-only, with the misconfigured cards easy to find.

The changelist says in plain words which addresses send traps that no UPS claims or that
carry the wrong community, and what to do about it; the "Unknown source" filter lists
those addresses with their trap counts. Communities are never shown (not stored).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.html import format_html

from monitoring.models import Trap
from unms.admin_base import AppendOnlyAdmin

SUMMARY_DAYS = 7
SUMMARY_SOURCES = 10

# Verdict → the rows it selects. The filter, the column and the banner share this table.
VERDICTS: dict[str, tuple[str, Q]] = {
    "accepted": ("Accepted", Q(ups__isnull=False, community_ok=True, error="")),
    "unknown": ("Unknown source", Q(ups__isnull=True, error="")),
    "community": ("Wrong community", Q(ups__isnull=False, community_ok=False, error="")),
    "malformed": ("Malformed", ~Q(error="")),
}


def verdict_of(trap: Trap) -> str:
    if trap.error:
        return "malformed"
    if trap.ups_id is None:
        return "unknown"
    return "accepted" if trap.community_ok else "community"


class VerdictFilter(admin.SimpleListFilter):
    title = "verdict"
    parameter_name = "verdict"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _) in VERDICTS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Trap]) -> QuerySet[Trap]:
        entry = VERDICTS.get(self.value() or "")
        return queryset.filter(entry[1]) if entry else queryset


def unknown_sources(days: int = SUMMARY_DAYS, limit: int = SUMMARY_SOURCES) -> list[dict[str, Any]]:
    """Addresses that sent traps no UPS claims, most traps first (recent window only)."""
    since = timezone.now() - timedelta(days=days)
    return list(
        Trap.objects.filter(VERDICTS["unknown"][1], received_at__gte=since)
        .values("source_address")
        .annotate(traps=Count("id"))
        .order_by("-traps", "source_address")[:limit]
    )


def bad_community_sources(
    days: int = SUMMARY_DAYS, limit: int = SUMMARY_SOURCES
) -> list[dict[str, Any]]:
    since = timezone.now() - timedelta(days=days)
    return list(
        Trap.objects.filter(VERDICTS["community"][1], received_at__gte=since)
        .values("source_address", "ups__name")
        .annotate(traps=Count("id"))
        .order_by("-traps", "source_address")[:limit]
    )


class UnknownSourceFilter(admin.SimpleListFilter):
    """One entry per unknown address with its count: the "who is misconfigured" list."""

    title = f"unknown source (last {SUMMARY_DAYS} days)"
    parameter_name = "unknown_source"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (row["source_address"], f"{row['source_address']} ({row['traps']} traps)")
            for row in unknown_sources(limit=50)
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Trap]) -> QuerySet[Trap]:
        if self.value():
            return queryset.filter(VERDICTS["unknown"][1], source_address=self.value())
        return queryset


@admin.register(Trap)
class TrapAdmin(AppendOnlyAdmin):
    list_display = (
        "received_at",
        "source",
        "ups",
        "verdict",
        "version",
        "kind",
        "alarm",
        "trap_oid",
    )
    list_filter = (VerdictFilter, "kind", UnknownSourceFilter, "version", "ups")
    list_select_related = ("ups",)
    search_fields = ("source_address", "trap_oid", "alarm")
    date_hierarchy = "received_at"
    # The log grows by millions of rows: no full COUNT(*) on every page view.
    show_full_result_count = False
    list_per_page = 100
    readonly_fields = (
        "received_at",
        "source_address",
        "source_port",
        "ups",
        "version",
        "community_ok",
        "inform",
        "trap_oid",
        "kind",
        "alarm",
        "varbinds",
        "error",
        "raw_hex",
    )

    @admin.display(description="source", ordering="source_address")
    def source(self, obj: Trap) -> str:
        return f"{obj.source_address}:{obj.source_port}"

    @admin.display(description="verdict")
    def verdict(self, obj: Trap) -> str:
        key = verdict_of(obj)
        colour = "inherit" if key == "accepted" else "#ba2121"
        return format_html('<span style="color:{}">{}</span>', colour, VERDICTS[key][0])

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # Plain words for the administrator, above the list: what is wrong and what to do.
        for row in unknown_sources():
            messages.warning(
                request,
                f"Traps from {row['source_address']}: no UPS has this address — add the UPS "
                f"or fix the card's trap destination ({row['traps']} traps in the last "
                f"{SUMMARY_DAYS} days).",
            )
        for row in bad_community_sources():
            messages.warning(
                request,
                f"Traps from {row['source_address']} ({row['ups__name']}) carry the wrong "
                f"community — set the UPS's trap community to the card's, or fix the card "
                f"({row['traps']} traps in the last {SUMMARY_DAYS} days).",
            )
        return super().changelist_view(request, extra_context)
