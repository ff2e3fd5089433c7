"""The alarm history's filters, sorts, keyset pagination and capped counts.

Written for 10 M rows on PostgreSQL: every filter maps to an indexed column, pages are
keyset (no OFFSET scans), and counts stop at a cap instead of COUNT(*) over everything.
Free text has its own path (`_text_page`, docs/alarms.md "Free text"): a bounded
newest-first walk of a covering index, then the trigram index for rare text. The same
code runs on SQLite, without those indexes, and returns the same rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django import forms
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.dateparse import parse_datetime

from alarms.choices import AlarmState
from alarms.models import OPEN, Alarm
from monitoring.choices import ConditionKind, Severity
from monitoring.models import Site, Ups

S = AlarmState

# state filter → condition; each is served by an index (see Alarm.Meta).
STATE_FILTERS: dict[str, tuple[str, Q]] = {
    "active": ("Active", OPEN),
    "unacknowledged": ("Unacknowledged", Q(state__in=[S.ACTIVE_UNACKED, S.CLEARED_UNACKED])),
    "acknowledged": ("Acknowledged", Q(state__in=[S.ACTIVE_ACKED, S.CLEARED])),
    "cleared": ("Cleared", Q(cleared_at__isnull=False)),
}

# Annotations some sorts need: severity and ack state in operator order, not alphabetic.
_ANNOTATIONS: dict[str, Any] = {
    "ack_rank": Case(
        When(state__in=[S.ACTIVE_UNACKED, S.CLEARED_UNACKED], then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    ),
    "sev_rank": Case(
        When(severity=Severity.CRITICAL, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    ),
}


@dataclass(frozen=True)
class Sort:
    label: str
    keys: tuple[tuple[str, bool], ...]  # (field or annotation, descending); ends with id

    @property
    def order_by(self) -> list[str]:
        return [("-" if desc else "") + name for name, desc in self.keys]


SORTS: dict[str, Sort] = {
    "newest": Sort("Newest first", (("raised_at", True), ("id", True))),
    "oldest": Sort("Oldest first", (("raised_at", False), ("id", False))),
    # ISA-101 list order: unacknowledged first, then priority, then time.
    "attention": Sort(
        "Unacknowledged, severity, newest",
        (("ack_rank", False), ("sev_rank", False), ("raised_at", True), ("id", True)),
    ),
    "last_seen": Sort("Last seen", (("last_seen_at", True), ("id", True))),
    "occurrences": Sort("Most occurrences", (("occurrences", True), ("id", True))),
}
DATETIME_KEYS = {"raised_at", "last_seen_at"}

# With no query string at all the page opens on what needs attention now.
DEFAULT_VIEW = {"state": "active", "sort": "attention"}


def _blank(choices: list[tuple[str, str]], label: str = "Any") -> list[tuple[str, str]]:
    return [("", label), *choices]


class AlarmFilterForm(forms.Form):
    q = forms.CharField(
        label="Text",
        required=False,
        max_length=100,
        help_text="Message, UPS or site name.",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "on battery, ups-07…"}),
    )
    site = forms.ModelChoiceField(Site.objects.all(), required=False, empty_label="Any")
    ups = forms.ModelChoiceField(
        Ups.objects.select_related("site").order_by("name"),
        required=False,
        empty_label="Any",
        label="UPS",
    )
    kind = forms.ChoiceField(choices=_blank(ConditionKind.choices), required=False)
    severity = forms.ChoiceField(choices=_blank(Severity.choices), required=False)
    state = forms.ChoiceField(
        choices=_blank([(k, label) for k, (label, _) in STATE_FILTERS.items()], "All"),
        required=False,
    )
    since = forms.DateTimeField(
        label="Raised from",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    until = forms.DateTimeField(
        label="Raised before",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    sort = forms.ChoiceField(
        choices=[(k, s.label) for k, s in SORTS.items()], required=False, initial="newest"
    )

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data.get("q", "").split())


def case_invariant_fragment(q: str) -> str:
    """The longest run of ASCII digits, punctuation and spaces in `q` that holds more
    than spaces ("" if none).

    UPPER() maps no character to or from these, so a message whose UPPER() contains
    UPPER(q) contains this run as it is: a plain, case-sensitive LIKE on it is a
    necessary condition of the case-insensitive match, and about half the cost per row
    (no UPPER() of the message). Rare text is mostly numbers ("code 117/8").
    """
    best, run = "", ""
    for ch in q + "a":
        if ch.isascii() and not ch.isalpha():
            run += ch
            continue
        if run.strip() and len(run) > len(best):
            best = run
        run = ""
    return best


def _text(q: str) -> tuple[Q, Q]:
    """The text condition, and the same condition for row-by-row walks (with the
    case-invariant prefilter first)."""
    # UPS and site names are a few hundred rows: resolve them to ids first, so the big
    # table sees "message LIKE … OR ups_id IN (…)" (trigram bitmap OR a btree bitmap).
    ups_ids = list(
        Ups.objects.filter(Q(name__icontains=q) | Q(site__name__icontains=q)).values_list(
            "pk", flat=True
        )
    )
    condition = Q(message__icontains=q)
    walk = condition
    if fragment := case_invariant_fragment(q):
        walk = Q(message__contains=fragment) & condition
    if ups_ids:
        return condition | Q(ups_id__in=ups_ids), walk | Q(ups_id__in=ups_ids)
    return condition, walk


@dataclass(frozen=True)
class TextSearch:
    """A free-text search: the filtered set without the text, and the text condition
    (as an index condition, and as a cheaper-first filter for walks)."""

    base: QuerySet[Alarm]
    condition: Q
    walk_condition: Q


def filter_alarms(data: dict[str, Any], qs: QuerySet[Alarm] | None = None) -> QuerySet[Alarm]:
    """The alarms matching cleaned form data (unordered).

    With free text, the queryset also carries a `TextSearch` (`qs.text_search`) that
    `paginate` uses; any other consumer (the export) just sees the filtered set.
    """
    qs = Alarm.objects.all() if qs is None else qs
    if site := data.get("site"):
        qs = qs.filter(ups_id__in=list(site.upses.values_list("pk", flat=True)))
    if ups := data.get("ups"):
        qs = qs.filter(ups_id=ups.pk)
    if kind := data.get("kind"):
        qs = qs.filter(kind=kind)
    if severity := data.get("severity"):
        qs = qs.filter(severity=severity)
    if state := data.get("state"):
        qs = qs.filter(STATE_FILTERS[state][1])
    if since := data.get("since"):
        qs = qs.filter(raised_at__gte=since)
    if until := data.get("until"):
        qs = qs.filter(raised_at__lt=until)
    if q := data.get("q"):
        base, (condition, walk) = qs, _text(q)
        qs = qs.filter(condition)
        if hasattr(qs, "text_search"):
            qs.text_search = TextSearch(base, condition, walk)
    return qs


def sorted_alarms(qs: QuerySet[Alarm], sort_key: str) -> tuple[QuerySet[Alarm], Sort]:
    sort = SORTS.get(sort_key) or SORTS["newest"]
    needed = {name: _ANNOTATIONS[name] for name, _ in sort.keys if name in _ANNOTATIONS}
    if needed:
        qs = qs.annotate(**needed)
    return qs.order_by(*sort.order_by), sort


# --- keyset pagination ---------------------------------------------------------------


def encode_cursor(sort: Sort, row: Any) -> str:
    values = []
    for name, _ in sort.keys:
        value = getattr(row, name)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> list[Any] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != len(sort.keys):
        return None
    decoded: list[Any] = []
    for (name, _), value in zip(sort.keys, values, strict=True):
        if name in DATETIME_KEYS:
            value = parse_datetime(value) if isinstance(value, str) else None
            if value is None:
                return None
        elif not isinstance(value, int) or isinstance(value, bool):
            return None
        decoded.append(value)
    return decoded


def after(qs: QuerySet[Alarm], sort: Sort, values: list[Any]) -> QuerySet[Alarm]:
    """Rows strictly after `values` in `sort` order.

    (a < x) OR (a = x AND b < y) OR …, plus a redundant bound "a <= x" on the first key:
    it turns the scan into an index range starting at the cursor instead of a filter
    over every row before it.
    """
    branches = []
    for i, (name, desc) in enumerate(sort.keys):
        equal = {sort.keys[j][0]: values[j] for j in range(i)}
        branches.append(Q(**equal, **{f"{name}__{'lt' if desc else 'gt'}": values[i]}))
    first, first_desc = sort.keys[0]
    bound = Q(**{f"{first}__{'lte' if first_desc else 'gte'}": values[0]})
    return qs.filter(bound & reduce(or_, branches))


@dataclass
class Page:
    rows: list[Alarm]
    next_cursor: str | None
    count: int
    count_capped: bool  # True: there are more than `count` rows
    # Free text only: the search stopped counting at its scan budget; at least `count`.
    count_partial: bool = False


def capped_count(qs: QuerySet[Alarm], cap: int) -> tuple[int, bool]:
    """COUNT over at most cap + 1 rows: exact up to the cap, "more than" beyond."""
    n = qs.order_by()[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


def _page(rows: list[Alarm], sort: Sort, size: int, count: int, capped: bool, **kw: Any) -> Page:
    more = len(rows) > size
    rows = rows[:size]
    cursor = encode_cursor(sort, rows[-1]) if more and rows else None
    return Page(rows, cursor, count, capped, **kw)


def paginate(qs: QuerySet[Alarm], sort: Sort, cursor: str | None, size: int, cap: int) -> Page:
    values = decode_cursor(sort, cursor) if cursor else None
    search = getattr(qs, "text_search", None)
    if search is not None:
        cap = min(cap, _setting("TEXT_COUNT_CAP", 1_000))
        if sort.keys[0][0] == "raised_at":
            return _text_page(search, sort, values, size, cap)
    count, capped = capped_count(qs, cap)
    if values is not None:
        qs = after(qs, sort, values)
    # Ids first, then the rows: the id query can be answered from an index alone (the
    # site filter's ups_id is in alarm_raised_text_idx), so the rows the filter rejects
    # cost no table reads; with `select_related` PostgreSQL fetches each row it tests.
    ids = list(qs.values_list("pk", flat=True)[: size + 1])
    return _page(_fetch(qs.db, ids, sort), sort, size, count, capped)


def _fetch(db: str, ids: list[int], sort: Sort) -> list[Alarm]:
    """The alarms `ids`, in that order, with what the page and its cursor need."""
    # By primary key, ordered here: with an ORDER BY, PostgreSQL may walk the raised_at
    # index looking for these ids instead of fetching them.
    found = Alarm.objects.using(db).filter(pk__in=ids)
    needed = {name: _ANNOTATIONS[name] for name, _ in sort.keys if name in _ANNOTATIONS}
    if needed:
        found = found.annotate(**needed)
    by_id = {a.pk: a for a in found.select_related("ups__site", "acknowledged_by").order_by()}
    return [by_id[pk] for pk in ids if pk in by_id]


# --- free text -----------------------------------------------------------------------


def _setting(key: str, default: int) -> int:
    return int(settings.UNMS["ALARMS"].get(key, default))


@contextmanager
def _plan(db: str, *statements: str) -> Iterator[None]:
    """Run the block's queries with planner settings of this search only (PostgreSQL)."""
    connection = connections[db]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=db):
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        yield


# The walk: no bitmap scans, so PostgreSQL cannot swap the ordered index-only walk for
# the trigram index, whose estimates for common text are off by 100x (docs/benchmarks.md);
# no parallel workers, whose Gather Merge under a LIMIT walks a third more rows.
WALK = ("SET LOCAL enable_bitmapscan = off", "SET LOCAL max_parallel_workers_per_gather = 0")
# Rare text: the trigram bitmap, kept exact (a lossy 4 MB bitmap rechecks millions).
RARE = ("SET LOCAL work_mem = '64MB'",)


def _text_page(
    search: TextSearch, sort: Sort, values: list[Any] | None, size: int, cap: int
) -> Page:
    """A page of a free-text search sorted by raised_at (newest or oldest first).

    1. Walk the filtered set in sort order (the covering index, index-only) and keep
       the first `cap + 1` matching ids, but look at no more than TEXT_SCAN_ROWS rows:
       the budget ends at the raised_at of that many-th row of the set. Common text fills
       a page (and usually the count) within a few thousand rows.
    2. Text the walk found a few times but not a page of, at a rate that predicts a
       page within TEXT_WIDEN_ROWS rows: widen the walk by time, to where that rate
       predicts WIDEN_MARGIN pages but no further than TEXT_WIDEN_ROWS rows at the
       set's rate; stop at the page. "Rare" text built from
       common trigrams (numbers in common messages) is slow for the trigram index, whose
       bitmap has to AND long posting lists, and one to ten hits in 50 000 rows is a
       page within a few hundred thousand.
    3. Otherwise the text is rare there: ask the whole set through the trigram index,
       whose bitmap is then small.

    Exact: each walk's rows come before every row it did not look at, so its first rows
    are the page. The count is exact up to `cap` unless a walk ran out of budget or
    stopped at the page: then it is "at least" what it found (`count_partial`).
    """
    db = search.base.db
    desc = sort.keys[0][1]
    base = search.base.order_by(*sort.order_by)
    if values is not None:
        base = after(base, sort, values)
    budget = max(_setting("TEXT_SCAN_ROWS", 50_000), size + 1)
    edge = _raised_at(base, budget - 1)
    walk = base.filter(search.walk_condition)
    if edge is not None:
        walk = walk.filter(**{f"raised_at__{'gte' if desc else 'lte'}": edge})
    with _plan(db, *WALK):
        ids = list(walk.values_list("id", flat=True)[: cap + 1])
    complete = edge is None or len(ids) > cap
    if not complete and 0 < len(ids) <= size and edge is not None:
        ids, complete = _widen(search, base, sort, ids, edge, budget, size)
    if not complete and len(ids) <= size:
        with _plan(db, *RARE):
            ids = list(base.filter(search.condition).values_list("id", flat=True)[: cap + 1])
        complete = True
    capped = len(ids) > cap
    count = cap if capped else len(ids)
    rows = _fetch(db, ids[: size + 1], sort)
    return _page(rows, sort, size, count, capped, count_partial=not complete)


# Widen to where the first walk's hit rate predicts this many pages (Poisson noise of
# a handful of hits; the walk stops at the page, so the margin costs only the misses).
WIDEN_MARGIN = 2


def _raised_at(qs: QuerySet[Alarm], index: int) -> datetime | None:
    found = list(qs.values_list("raised_at", flat=True)[index : index + 1])
    return found[0] if found else None


def _widen(
    search: TextSearch,
    base: QuerySet[Alarm],
    sort: Sort,
    ids: list[int],
    edge: datetime,
    budget: int,
    size: int,
) -> tuple[list[int], bool]:
    """Step 2 of `_text_page`: the first walk's `ids` plus those of a wider walk, and
    whether that is the whole set (never: it stops at the page). Returns `ids`
    unchanged when the wider walk would be too long."""
    desc = sort.keys[0][1]
    need = (size + 1) / len(ids)  # a page at the first walk's rate, in first walks
    limit = _setting("TEXT_WIDEN_ROWS", 1_000_000) / budget
    if search.walk_condition is search.condition:
        limit /= 2  # no prefilter: UPPER() of every row, twice the time per row
    start = _raised_at(base, 0)
    if start is None or need > limit:
        return ids, False
    factor = min(WIDEN_MARGIN * need, limit)  # the wider walk's end, in first walks
    span = abs(edge - start)
    if not span:
        return ids, False
    # The first walk saw every row up to and including `edge`; this one goes on from there.
    far = edge - span * (factor - 1) if desc else edge + span * (factor - 1)
    op, far_op = ("lt", "gte") if desc else ("gt", "lte")
    wider = base.filter(search.walk_condition).filter(
        **{f"raised_at__{op}": edge, f"raised_at__{far_op}": far}
    )
    with _plan(base.db, *WALK):
        more = list(wider.values_list("id", flat=True)[: size + 1 - len(ids)])
    # It stops at the page, so the count is "at least"; not even a page: step 3.
    return ids + more, False
