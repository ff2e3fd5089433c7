"""Operator console figures (PostgreSQL): dashboard server time and payload for 150 and
1 000 UPSs, WebSocket fan-out latency to 20 clients, and trend queries over a year of
30-second polls of one UPS. Not a test; run by hand:

    .venv/bin/python bench/dashboard.py [--url postgres://…/unms_trends] [--reuse]
        [--redis redis://127.0.0.1:6379/11] [--repeat 20] [--skip-trends] [--skip-ws]

It creates (or, with --reuse, keeps) a dedicated database and migrates it.

* Trends: one UPS with a year of 30-s polls generated in SQL (INSERT … SELECT
  generate_series, ~1.05 M rows) and 200 alarm episodes; the rollup task's first
  (full-year) run and an incremental run are timed, then the readings endpoint the UPS
  page's charts call (`/api/v1/ups/<id>/readings?range=…`, through Django's test client:
  query, downsampling, alarm episodes and JSON encoding) for every named range.
* Dashboard: `/` rendered by the test client for a logged-in operator with 150, then
  1 000 UPSs (each with a status and a measurement); server time and bytes (raw, gzip).
* Fan-out: a uvicorn server on 127.0.0.1 serving `unms.asgi` with channels-redis, 20
  WebSocket clients on `/ws/fleet/` with a session cookie; the bench sends `ups.state`
  messages to the `fleet` group through the channel layer (as a worker does after a
  poll) and times until every client has each one.

Results: docs/benchmarks.md, "Dashboard and trends".
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/unms_trends"
# A database number of its own: the `fleet` group must not reach other people's consoles.
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
BENCH_UPS = "bench-trend-ups"


def setup(url: str, redis: str, reuse: bool) -> None:
    from pgdb import create_database  # bench/ is sys.path[0]

    create_database(url, reuse)
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = redis
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unms.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """p50 and p95 in ms after one warm-up run; also the last result."""
    result = fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)], result


# --- trends --------------------------------------------------------------------------


def generate_year(ups_id: int) -> int:
    """One year of 30-second polls in one statement: daily and hourly waves plus noise."""
    from django.db import connection

    from monitoring.models import Measurement

    if Measurement.objects.filter(ups_id=ups_id).exists():
        return Measurement.objects.filter(ups_id=ups_id).count()
    wave = "sin(extract(epoch from t) / {period} * 2 * pi())"
    day, hour = wave.format(period=86400), wave.format(period=3600)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO monitoring_measurement (
                ups_id, taken_at, reachable, state, poll_ms, battery_status,
                seconds_on_battery, runtime_remaining_s, charge_pct, battery_voltage_v,
                battery_temperature_c, output_source, input_frequency_hz, output_frequency_hz,
                input_voltage_l1, input_voltage_l2, input_voltage_l3,
                output_voltage_l1, output_voltage_l2, output_voltage_l3,
                load_l1_pct, load_l2_pct, load_l3_pct, load_pct, output_power_w, lines, alarms)
            SELECT %s, t, true, 'ok', 12, 'normal', 0,
                1500 + (300 * {day})::int, 100, 54.4 + random() * 0.4,
                24 + 3 * {day} + random(), 'normal', 50 + (random() - 0.5) * 0.1, 50,
                230 + 4 * {hour} + random() * 2, 229 + 4 * {hour} + random() * 2,
                231 + 4 * {hour} + random() * 2, 230 + random(), 230 + random(), 230 + random(),
                35 + 10 * {day} + random() * 3, 30 + 10 * {day} + random() * 3,
                33 + 10 * {day} + random() * 3, 45 + 10 * {day} + random() * 3,
                9000 + 2000 * {day}, '{{}}'::jsonb, '[]'::jsonb
            FROM generate_series(now() - interval '365 days', now(), interval '30 seconds') AS t
            """,
            [ups_id],
        )
        return cursor.rowcount


def generate_episodes(ups: Any, count: int = 200) -> None:
    from django.utils import timezone

    from alarms.models import Alarm

    if Alarm.objects.filter(ups=ups).exists():
        return
    now = timezone.now()
    Alarm.objects.bulk_create(
        Alarm(
            ups=ups,
            kind="OnBattery" if i % 3 else "HighLoad",
            severity="warning" if i % 5 else "critical",
            message="bench episode",
            state="cleared",
            source="poll",
            raised_at=now - timedelta(hours=43.8 * (i + 1)),
            last_seen_at=now - timedelta(hours=43.8 * (i + 1)) + timedelta(minutes=5),
            cleared_at=now - timedelta(hours=43.8 * (i + 1)) + timedelta(minutes=10 + i % 50),
        )
        for i in range(count)
    )


def bench_trends(repeat: int, client: Any) -> dict[str, Any]:
    from django.db import connection

    from monitoring.models import Rollup1h, Rollup5m, Site, Ups
    from monitoring.rollups import rollup_all
    from monitoring.trends import RANGES

    site, _ = Site.objects.get_or_create(name="bench-trend-site")
    ups, _ = Ups.objects.get_or_create(
        name=BENCH_UPS, defaults={"site": site, "host": "127.0.0.250", "port": 16100}
    )
    start = time.perf_counter()
    rows = generate_year(ups.pk)
    generated_s = time.perf_counter() - start
    generate_episodes(ups)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE monitoring_measurement")
    first_start = time.perf_counter()
    Rollup5m.objects.filter(ups=ups).delete()
    Rollup1h.objects.filter(ups=ups).delete()
    written = rollup_all()
    first_s = time.perf_counter() - first_start
    incremental_ms, incremental_p95, _ = timed(rollup_all, 5)
    out: dict[str, Any] = {
        "raw_rows": rows,
        "generate_s": generated_s,
        "rollup_first": written,
        "rollup_first_s": first_s,
        "rollup_incremental_ms": (incremental_ms, incremental_p95),
        "ranges": {},
    }
    for key in RANGES:
        url = f"/api/v1/ups/{ups.pk}/readings?range={key}"

        def fetch(url: str = url) -> Any:
            response = client.get(url)
            assert response.status_code == 200, response.content[:200]
            return response

        p50, p95, response = timed(fetch, repeat)
        data = json.loads(response.content)
        out["ranges"][key] = {
            "p50_ms": p50,
            "p95_ms": p95,
            "source": data["source"],
            "bucket_s": data["bucket_s"],
            "points": data["points"],
            "episodes": len(data["alarms"]),
            "bytes": len(response.content),
            "gzip": len(gzip.compress(response.content)),
        }
    csv_p50, csv_p95, csv = timed(
        lambda: client.get(f"/api/v1/ups/{ups.pk}/readings.csv?range=1y"), max(3, repeat // 4)
    )
    out["csv_1y"] = (csv_p50, csv_p95, len(csv.content))  # type: ignore[attr-defined]
    return out


# --- dashboard -----------------------------------------------------------------------


def ensure_fleet(total: int) -> None:
    """`total` UPSs over sites of 10 and regions of 5 sites, each with a status."""
    from django.utils import timezone

    from monitoring.models import Measurement, Region, Site, Ups, UpsStatus

    have = Ups.objects.filter(name__startswith="dash-").count()
    if have >= total:
        return
    now = timezone.now()
    states = ["ok"] * 17 + ["warning", "critical", "comm_lost"]
    new = []
    for i in range(have, total):
        region, _ = Region.objects.get_or_create(name=f"dash-region-{i // 50:02d}")
        site, _ = Site.objects.get_or_create(name=f"dash-site-{i // 10:03d}", region=region)
        new.append(Ups(name=f"dash-{i:04d}", site=site, host=f"10.{i // 250}.{i % 250}.1"))
    upses = Ups.objects.bulk_create(new)
    measurements = Measurement.objects.bulk_create(
        Measurement(
            ups=u, taken_at=now, reachable=True, state=states[u.pk % 20], load_pct=20 + u.pk % 60,
            charge_pct=100, runtime_remaining_s=1800, seconds_on_battery=0,
            input_voltage_l1=230, output_voltage_l1=230, battery_temperature_c=24,
        )
        for u in upses
    )  # fmt: skip
    UpsStatus.objects.bulk_create(
        UpsStatus(
            ups=u, state=m.state, measurement=m, last_poll_at=now, last_success_at=now,
            conditions=[] if m.state == "ok" else
            [{"kind": "HighLoad", "severity": "warning", "reason": "load 85 %"}],
        )
        for u, m in zip(upses, measurements, strict=True)
    )  # fmt: skip


def bench_dashboard(repeat: int, client: Any) -> dict[int, dict[str, Any]]:
    from monitoring.models import Ups

    out = {}
    for total in (150, 1000):
        ensure_fleet(total)
        # Only the generated fleet (the trend UPS is one more; it does not change the figure).
        count = Ups.objects.count()

        def fetch() -> Any:
            response = client.get("/")
            assert response.status_code == 200, response.status_code
            return response

        p50, p95, response = timed(fetch, repeat)
        body = response.content
        out[total] = {
            "upses": count,
            "p50_ms": p50,
            "p95_ms": p95,
            "bytes": len(body),
            "gzip": len(gzip.compress(body)),
        }
    return out


# --- WebSocket fan-out -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _session_cookie(user: Any) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


async def _fanout(port: int, cookie: str, clients: int, messages: int) -> list[float]:
    import websockets
    from channels.layers import get_channel_layer

    uri = f"ws://127.0.0.1:{port}/ws/fleet/"
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
    try:
        connect = websockets.connect(uri, additional_headers=headers, max_size=2**24)
    except TypeError:  # websockets < 14
        connect = websockets.connect(uri, extra_headers=headers, max_size=2**24)
    sockets = [await connect for _ in range(clients)]
    for ws in sockets:  # the snapshot each console gets on connect
        json.loads(await asyncio.wait_for(ws.recv(), 30))
    layer = get_channel_layer()
    latencies = []
    for seq in range(messages):
        payload = {"type": "ups.state", "ups_id": 1, "state": "warning", "bench_seq": seq}

        async def receive(ws: Any, seq: int = seq) -> float:
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message.get("bench_seq") == seq:
                    return time.perf_counter()

        waiters = [asyncio.ensure_future(receive(ws)) for ws in sockets]
        sent = time.perf_counter()
        await layer.group_send("fleet", payload)
        arrived = await asyncio.gather(*waiters)
        latencies.append((max(arrived) - sent) * 1000)
        await asyncio.sleep(0.05)
    for ws in sockets:
        await ws.close()
    # Let the server leave the group before it is stopped (no teardown noise).
    await asyncio.sleep(1)
    return latencies


def bench_fanout(user: Any, clients: int = 20, messages: int = 50) -> dict[str, Any]:
    try:
        import monitoring.consumers  # noqa: F401
    except ImportError as exc:
        return {"error": f"no consumer to measure: {exc}"}
    port = _free_port()
    env = dict(os.environ)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "unms.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        latencies = asyncio.run(_fanout(port, _session_cookie(user), clients, messages))
    finally:
        server.terminate()
        server.wait(10)
    latencies.sort()
    return {
        "clients": clients,
        "messages": messages,
        "p50_ms": statistics.median(latencies),
        "p95_ms": latencies[max(0, round(0.95 * len(latencies)) - 1)],
        "max_ms": latencies[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--skip-trends", action="store_true")
    parser.add_argument("--skip-ws", action="store_true")
    args = parser.parse_args()
    setup(args.url, args.redis, args.reuse)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    # The test client needs "testserver" to be an allowed host.
    from django.test.utils import setup_test_environment

    setup_test_environment()
    user, _ = get_user_model().objects.get_or_create(username="bench-operator")
    client = Client()
    client.force_login(user)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"PostgreSQL {cursor.fetchone()[0]}, Python {sys.version.split()[0]}")

    if not args.skip_trends:
        t = bench_trends(args.repeat, client)
        incremental = t["rollup_incremental_ms"]
        print(
            f"\ntrends: {t['raw_rows']:,} raw rows generated in {t['generate_s']:.1f} s; "
            f"first rollup {t['rollup_first']} in {t['rollup_first_s']:.1f} s; incremental "
            f"p50 {incremental[0]:.1f} ms / p95 {incremental[1]:.1f} ms"
        )
        print(
            "| range | source | bucket | points/series | episodes | p50 ms | p95 ms "
            "| JSON bytes | gzip |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for key, r in t["ranges"].items():
            print(
                f"| {key} | {r['source']} | {r['bucket_s']} s | {r['points']} | {r['episodes']} | "
                f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['bytes']:,} | {r['gzip']:,} |"
            )
        csv_p50, csv_p95, csv_bytes = t["csv_1y"]
        print(f"CSV 1y: p50 {csv_p50:.1f} ms, p95 {csv_p95:.1f} ms, {csv_bytes:,} bytes")

    d = bench_dashboard(args.repeat, client)
    print("\n| UPSs | p50 ms | p95 ms | HTML bytes | gzip |")
    print("|---:|---:|---:|---:|---:|")
    for total, r in d.items():
        print(
            f"| {total} ({r['upses']} in db) | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['bytes']:,} | {r['gzip']:,} |"
        )

    if not args.skip_ws:
        f = bench_fanout(user)
        if "error" in f:
            print(f"\nfan-out: {f['error']}")
        else:
            print(
                f"\nfan-out to {f['clients']} clients, {f['messages']} messages: "
                f"p50 {f['p50_ms']:.1f} ms, p95 {f['p95_ms']:.1f} ms, max {f['max_ms']:.1f} ms"
            )


if __name__ == "__main__":
    main()
