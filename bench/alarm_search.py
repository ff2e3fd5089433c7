"""Alarm history search on 10 M alarms (PostgreSQL): p50/p95 of typical searches and of
a CSV export of 100 000 rows. Not a test; run by hand:

    .venv/bin/python bench/alarm_search.py [--rows 10000000] [--url postgres://…/unms_bench]
                                           [--reuse] [--repeat 30]

It creates (or, with --reuse, keeps) a dedicated database, migrates it, generates 150
UPSs over 30 sites and the alarms of one year in SQL (INSERT … SELECT generate_series,
indexes built after the load), then times the same code paths as the history page
(`alarms.filters`) and the export (`alarms.export.csv_rows`). Results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/unms_bench"
UPS_COUNT, SITE_COUNT = 150, 30

# (kind, severity, message format, weight): on battery dominates, like in the field.
KINDS = [
    ("OnBattery", "warning", "on battery for %s min, %s min left", 30),
    ("LowRuntime", "critical", "%s min of runtime left", 6),
    ("LowCharge", "warning", "battery charge %s %%", 5),
    ("LowBattery", "critical", "battery low, %s min left", 3),
    ("CommLost", "critical", "no answer to %s consecutive polls (timeout %s)", 12),
    ("HighLoad", "warning", "load %s %% on phase %s", 10),
    ("OutputOverload", "critical", "output overload (%s %% load, %s)", 3),
    ("HighBatteryTemperature", "warning", "battery at %s °C (sensor %s)", 8),
    ("InputBad", "warning", "input out of tolerance (%s V, %s)", 12),
    ("OnBypass", "warning", "on bypass: load not protected (%s, %s)", 4),
    ("FanFailure", "warning", "fan failure (fan %s, %s)", 2),
    ("GeneralFault", "critical", "general fault code %s/%s", 1),
    ("DiagnosticTestFailed", "warning", "last self-test failed: cell %s, %s", 1),
]


def setup(url: str, reuse: bool) -> None:
    from pgdb import create_database  # bench/ is sys.path[0]

    create_database(url, reuse)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unms.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generate(rows: int) -> None:
    from django.db import connection

    from alarms.models import Alarm
    from monitoring.models import Site, Ups

    if Alarm.objects.exists():
        print(f"reusing {Alarm.objects.count():,} alarms")
        return
    sites = Site.objects.bulk_create([Site(name=f"site-{i:02d}") for i in range(SITE_COUNT)])
    Ups.objects.bulk_create(
        Ups(name=f"ups-{i:04d}", site=sites[i % SITE_COUNT], host=f"10.0.{i // 250}.{i % 250 + 1}")
        for i in range(UPS_COUNT)
    )
    weighted = [k for k in KINDS for _ in range(k[3])]
    kinds = "ARRAY[" + ",".join(f"'{k[0]}'" for k in weighted) + "]"
    sevs = "ARRAY[" + ",".join(f"'{k[1]}'" for k in weighted) + "]"
    msgs = "ARRAY[" + ",".join("'" + k[2].replace("'", "''") + "'" for k in weighted) + "]"
    with connection.cursor() as cur:
        # Indexes are built after the load: one sort per index instead of 10 M inserts.
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'alarms_alarm' "
            "AND indexname <> 'alarms_alarm_pkey'"
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        chunk = 1_000_000
        start = time.perf_counter()
        for done in range(0, rows, chunk):
            n = min(chunk, rows - done)
            cur.execute(
                f"""
                INSERT INTO alarms_alarm (ups_id, kind, severity, message, state, source,
                    raised_at, last_seen_at, occurrences, cleared_at, acknowledged_at,
                    frozen, latched, chattering, transitions)
                SELECT u.ids[1 + floor(s.r1 * array_length(u.ids, 1))::int],
                       ({kinds})[s.i], ({sevs})[s.i],
                       format(({msgs})[s.i], (s.r2 * 120)::int, (s.r3 * 9)::int),
                       CASE WHEN s.r2 < 0.03 THEN 'cleared_unacked' ELSE 'cleared' END,
                       CASE WHEN s.r3 < 0.3 THEN 'trap' ELSE 'poll' END,
                       s.ts, s.ts + s.d, 1 + (s.r3 * 3)::int, s.ts + s.d,
                       CASE WHEN s.r2 < 0.03 THEN NULL ELSE s.ts + s.d / 2 END,
                       false, false, false, '[]'
                FROM (SELECT array_agg(id ORDER BY id) AS ids FROM monitoring_ups) u,
                     (SELECT 1 + floor(random() * {len(weighted)})::int AS i,
                             random() AS r1, random() AS r2, random() AS r3,
                             now() - random() * interval '365 days' AS ts,
                             (random() * 7200)::int * interval '1 second' AS d
                      FROM generate_series(1, {int(n)})) s
                """
            )
            print(f"  {done + n:>11,} rows  {time.perf_counter() - start:6.1f} s", flush=True)
        # Open alarms: a few per UPS, distinct kinds (the DB allows one open per kind).
        cur.execute(
            """
            INSERT INTO alarms_alarm (ups_id, kind, severity, message, state, source,
                raised_at, last_seen_at, occurrences, frozen, latched, chattering, transitions)
            SELECT u.id, k.kind, k.sev, k.kind || ' still active', 'active_unacked', 'poll',
                   now() - random() * interval '2 days', now(), 1, false, false, false, '[]'
            FROM monitoring_ups u,
                 (VALUES ('OnBattery', 'warning'), ('HighLoad', 'warning')) AS k(kind, sev)
            WHERE random() < 0.4
            """
        )
        for name, definition in indexes:
            t = time.perf_counter()
            cur.execute(definition)
            print(f"  index {name}: {time.perf_counter() - t:.1f} s", flush=True)
        cur.execute("VACUUM ANALYZE alarms_alarm")
    print(f"generated in {time.perf_counter() - start:.0f} s")


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()  # warm the cache and the connection once
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def searches(rng: random.Random) -> dict[str, Callable[[], object]]:
    from django.conf import settings
    from django.utils import timezone

    from alarms.filters import filter_alarms, paginate, sorted_alarms
    from monitoring.models import Site, Ups

    upses = list(Ups.objects.all())
    sites = list(Site.objects.all())
    size, cap = settings.UNMS["ALARMS"]["PAGE_SIZE"], settings.UNMS["ALARMS"]["COUNT_CAP"]
    now = timezone.now()

    def page(data: dict, sort: str = "newest", second_page: bool = False) -> object:
        qs, s = sorted_alarms(filter_alarms(data), sort)
        first = paginate(qs, s, None, size, cap)
        if second_page and first.next_cursor:
            return paginate(qs, s, first.next_cursor, size, cap)
        return first

    def window(days: int) -> dict:
        start = now - timedelta(days=rng.uniform(days, 360))
        return {"since": start, "until": start + timedelta(days=days)}

    words = ["overload", "fan failure", "consecutive", "cell", "sensor 3", "general fault"]
    rare = ["code 117/8", "cell 42, 5", "fan 99, 1", "load 3 % on phase 7"]
    # 750-2 800 matches in 10 M, every trigram common: a slow trigram bitmap (long
    # posting lists ANDed), found by widening the walk instead (docs/alarms.md).
    numbers = [
        "load 3 % on phase 7",
        "load 7 % on phase 2",
        "at 42 °C (sensor 1",
        "for 5 min, 3 min",
    ]
    return {
        "active only (default view)": lambda: page({"state": "active"}, "attention"),
        "all, newest, page 2": lambda: page({}, second_page=True),
        "by UPS": lambda: page({"ups": rng.choice(upses)}),
        "by site + 7-day range": lambda: page({"site": rng.choice(sites)} | window(7)),
        "by kind + severity": lambda: page(
            dict(zip(("kind", "severity"), rng.choice(KINDS)[:2], strict=True))
        ),
        "by kind + severity + 30-day range": lambda: page(
            dict(zip(("kind", "severity"), rng.choice(KINDS)[:2], strict=True)) | window(30)
        ),
        "free text": lambda: page({"q": rng.choice(words)}),
        "free text + 30-day range": lambda: page({"q": rng.choice(words)} | window(30)),
        # A few hundred matches in 10 M: the walk finds no page, the trigram index does.
        "rare free text": lambda: page({"q": rng.choice(rare)}),
        "rare text, common trigrams": lambda: page({"q": rng.choice(numbers)}),
        "free text, page 2": lambda: page({"q": rng.choice(words)}, second_page=True),
        "unacknowledged": lambda: page({"state": "unacknowledged"}),
    }


def export_100k(rng: random.Random) -> Callable[[], object]:
    from alarms.export import csv_rows
    from alarms.filters import filter_alarms, sorted_alarms

    def run() -> int:
        qs, _ = sorted_alarms(filter_alarms({}), "newest")
        return sum(len(line) for line in csv_rows(qs[:100_000]))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="Keep an existing bench database.")
    args = parser.parse_args()
    setup(args.url, args.reuse)
    generate(args.rows)
    from django.db import connection

    from alarms.models import Alarm

    with connection.cursor() as cur:
        cur.execute("SELECT version(), pg_size_pretty(pg_total_relation_size('alarms_alarm'))")
        version, size = cur.fetchone()
        cur.execute(f"SELECT name, current_setting(name) FROM pg_settings WHERE name IN {SETTINGS}")
        pg = ", ".join(f"{name} {value}" for name, value in sorted(cur.fetchall()))
    print(f"{Alarm.objects.count():,} alarms, table+indexes {size}; {version.split(',')[0]}")
    print(f"{machine()}\n{pg}\nload average {_load()}")
    rng = random.Random(42)
    print(f"{'search':40} {'p50 ms':>8} {'p95 ms':>8}")
    for name, fn in searches(rng).items():
        p50, p95 = timed(fn, args.repeat)
        print(f"{name:40} {p50:8.1f} {p95:8.1f}", flush=True)
    p50, p95 = timed(export_100k(rng), max(3, args.repeat // 6))
    print(f"{'CSV export, 100 000 rows':40} {p50:8.1f} {p95:8.1f}")
    print(f"load average {_load()}")


SETTINGS = (
    "shared_buffers",
    "work_mem",
    "effective_cache_size",
    "random_page_cost",
    "max_parallel_workers_per_gather",
    "jit",
)


def machine() -> str:
    """nproc, CPU model and memory: the shared, noisy box matters for these figures."""
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPU ({cpu}), {memory:.0f} GiB RAM"


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
