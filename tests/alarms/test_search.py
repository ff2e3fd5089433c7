"""Free-text search paths (alarms.filters._text_page) against a plain reference: the
walk within its budget, the widened walk, the trigram fallback, pages and counts; the
same rows on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from alarms.filters import (
    SORTS,
    case_invariant_fragment,
    filter_alarms,
    paginate,
    sorted_alarms,
)
from alarms.models import Alarm
from tests.alarms.factories import T0, AlarmFactory
from tests.factories import SiteFactory, UpsFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("q", "fragment"),
    [
        ("code 117/8", " 117/8"),
        ("load 3 % on phase 7", " 3 % "),
        ("fan failure", ""),
        ("42", "42"),
        ("Ünïcode 5", " 5"),
        ("a-b", "-"),
    ],
)
def test_case_invariant_fragment(q: str, fragment: str) -> None:
    assert case_invariant_fragment(q) == fragment


def _settings(settings: Any, **alarms: int) -> None:
    settings.UNMS = settings.UNMS | {"ALARMS": settings.UNMS["ALARMS"] | alarms}


@pytest.fixture
def history() -> list[Alarm]:
    """300 alarms a minute apart; "load 3 % on phase 7" every 10th (some in capitals)."""
    ups = UpsFactory(name="ups-x", site=SiteFactory(name="Plant"))
    rows = []
    for i in range(300):
        if i % 10 == 3:
            message = "LOAD 3 % ON PHASE 7" if i % 20 == 3 else "load 3 % on phase 7"
        else:
            message = f"load {i % 7 + 30} % on phase {i % 3}"
        rows.append(
            AlarmFactory.build(ups=ups, message=message, raised_at=T0 - timedelta(minutes=i))
        )
    rows.append(AlarmFactory.build(ups=ups, message="code 117/8", raised_at=T0 - timedelta(days=9)))
    return Alarm.objects.bulk_create(rows)


def _all_pages(data: dict, sort_key: str, size: int, cap: int) -> tuple[list[int], list]:
    qs, sort = sorted_alarms(filter_alarms(data), sort_key)
    seen, pages, cursor = [], [], None
    while True:
        page = paginate(qs, sort, cursor, size, cap)
        pages.append(page)
        seen += [a.pk for a in page.rows]
        if not page.next_cursor:
            return seen, pages
        cursor = page.next_cursor


def _reference(q: str, sort_key: str) -> list[int]:
    wanted = [
        a
        for a in Alarm.objects.select_related("ups__site")
        if q.upper() in a.message.upper()
        or q.upper() in a.ups.name.upper()
        or q.upper() in a.ups.site.name.upper()
    ]
    desc = SORTS[sort_key].keys[0][1]
    wanted.sort(key=lambda a: (a.raised_at, a.pk), reverse=desc)
    return [a.pk for a in wanted]


@pytest.mark.parametrize("sort_key", ["newest", "oldest"])
@pytest.mark.parametrize(
    ("scan", "widen"),
    [
        (1_000, 1_000_000),  # the first walk sees everything
        (20, 1_000_000),  # a few hits in 20 rows: the wider walk
        (20, 21),  # too wide to widen: the trigram fallback
        (5, 1_000_000),  # no hit in the first walk: the trigram fallback
    ],
)
@pytest.mark.parametrize("q", ["load 3 % on phase 7", "code 117/8", "on phase", "plant", "zzz"])
def test_text_pages_match_a_plain_filter(
    settings: Any, history: list[Alarm], sort_key: str, scan: int, widen: int, q: str
) -> None:
    _settings(settings, TEXT_SCAN_ROWS=scan, TEXT_WIDEN_ROWS=widen, TEXT_COUNT_CAP=1_000)
    seen, pages = _all_pages({"q": q}, sort_key, size=4, cap=10_000)
    assert seen == _reference(q, sort_key)
    first = pages[0]
    if first.count_partial:
        assert len(seen) >= first.count >= len(first.rows)
    else:
        assert first.count == min(len(seen), 1_000)


def test_widened_walk_stops_at_the_page(settings: Any, history: list[Alarm]) -> None:
    _settings(settings, TEXT_SCAN_ROWS=20, TEXT_WIDEN_ROWS=1_000_000)
    qs, sort = sorted_alarms(filter_alarms({"q": "load 3 % on phase 7"}), "newest")
    page = paginate(qs, sort, None, 4, 10_000)
    assert [a.pk for a in page.rows] == _reference("load 3 % on phase 7", "newest")[:4]
    assert page.count_partial
    assert page.count == 5
    assert page.next_cursor


def test_text_with_other_filters_and_a_time_range(settings: Any, history: list[Alarm]) -> None:
    _settings(settings, TEXT_SCAN_ROWS=20)
    since = T0 - timedelta(minutes=150)
    qs, sort = sorted_alarms(
        filter_alarms({"q": "on phase 7", "since": since, "kind": "OnBattery"}), "newest"
    )
    page = paginate(qs, sort, None, 100, 10_000)
    expected = [
        pk
        for pk in _reference("on phase 7", "newest")
        if Alarm.objects.get(pk=pk).raised_at >= since
    ]
    assert [a.pk for a in page.rows] == expected
