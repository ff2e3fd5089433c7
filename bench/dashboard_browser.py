"""The live dashboard in a real browser with 1 000 UPSs and 100 state changes per second.

Not a test; run by hand (PostgreSQL, Debian's Chromium, never a browser download):

    .venv/bin/python bench/dashboard_browser.py [--url postgres://…/unms_dashbrowser]
        [--reuse] [--layer memory|redis] [--redis redis://127.0.0.1:6379/11]
        [--upses 1000] [--rate 100] [--seconds 20] [--views all problems] [--loads 3]

* Data: `--upses` UPSs on 127.77.x.y (never polled: no monitor loop runs), 10 per site,
  5 sites per region, each with a status and a measurement (about one in six not OK).
* Server: uvicorn serving the real `unms.asgi` on 127.0.0.1 in a thread of this process
  with the in-memory channel layer (the embedded mode), or channels-redis (`--layer redis`,
  a database number of its own so no other console sees the bench's pushes).
* Browser: Chromium (Playwright, `UNMS_CHROMIUM`, default /usr/bin/chromium), 1920x1080,
  logs in through the login form, then loads `/` `--loads` times (initial load figures).
* Stream: `--rate` `ups.state` messages per second for `--seconds`, paced evenly, sent by
  a coroutine on the server's event loop through the channel layer to the `fleet` group
  (as a worker does after a poll): random UPSs, a new state one time in three (ok, warning,
  critical, comm lost, with reasons), otherwise new load/charge/runtime values; every
  message changes what its tile shows. Each carries `bench_seq` and `bench_t` (send time,
  epoch ms); the consumer forwards them untouched and the page ignores them.
* Measured in the page by a script Playwright injects (`add_init_script`, through the
  DevTools protocol, so the CSP `script-src 'self'` does not apply; nothing of it is in
  product code): requestAnimationFrame deltas (p50/p95/p99/max, frames over 33 and 50 ms),
  long tasks and long animation frames, and for every tagged message the time from send
  to arrival in the page (a listener on the WebSocket) and to the DOM change of its tile
  (a MutationObserver on the grouped view). Messages about one UPS that arrive within one
  frame are drawn once; all of them count, at the time the tile changed. From the DevTools
  protocol: JS heap after a forced GC at start and end, and the renderer's main-thread
  script, style, layout and total task time over the stream.

`--views idle all problems` (the default) measures the "All" view for `--seconds` without
messages (the machine's baseline), then runs the stream once per view ("All", then "Only
problems", worst first, re-sorted as states change).

Results: docs/benchmarks.md, "Dashboard and trends" → "In the browser".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/unms_dashbrowser"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
CHROMIUM = os.environ.get("UNMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PREFIX = "wall-"
USERNAME = "bench-wall"
PASSWORD = "bench-wall-password-1"


def setup(url: str, layer: str, redis: str, reuse: bool) -> None:
    from pgdb import create_database  # bench/ is sys.path[0]

    create_database(url, reuse)
    os.environ["DATABASE_URL"] = url
    if layer == "redis":
        os.environ["REDIS_URL"] = redis
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unms.settings")
    # Playwright's sync API runs an event loop in the main thread; the ORM calls made
    # there between its calls are plain sync code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- data ----------------------------------------------------------------------------


def ensure_fleet(total: int) -> list[int]:
    """`total` UPSs on 127.77.x.y over sites of 10 and regions of 5 sites."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from monitoring.models import Measurement, Region, Site, Ups, UpsStatus

    user_model = get_user_model()
    if not user_model.objects.filter(username=USERNAME).exists():
        user_model.objects.create_user(
            USERNAME, password=PASSWORD, is_staff=True, is_superuser=True
        )
    have = Ups.objects.filter(name__startswith=PREFIX).count()
    if have < total:
        now = timezone.now()
        states = ["ok"] * 5 + ["warning"]  # about one in six not OK, like a bad day
        new = []
        for i in range(have, total):
            region, _ = Region.objects.get_or_create(name=f"Wall region {i // 50:02d}")
            site, _ = Site.objects.get_or_create(name=f"Wall site {i // 10:03d}", region=region)
            new.append(
                Ups(
                    name=f"{PREFIX}{i:04d}",
                    site=site,
                    host=f"127.77.{i // 250}.{i % 250 + 1}",
                    port=16100,
                    next_poll_at=now + timedelta(days=365),
                )
            )
        upses = Ups.objects.bulk_create(new)
        measurements = Measurement.objects.bulk_create(
            Measurement(
                ups=u, taken_at=now, reachable=True, state=states[u.pk % 6],
                load_pct=20 + u.pk % 60, charge_pct=100, runtime_remaining_s=1800,
                seconds_on_battery=0, input_voltage_l1=230, output_voltage_l1=230,
                battery_temperature_c=24,
            )
            for u in upses
        )  # fmt: skip
        UpsStatus.objects.bulk_create(
            UpsStatus(
                ups=u, state=m.state, measurement=m, last_poll_at=now, last_success_at=now,
                state_since=now,
                conditions=[] if m.state == "ok" else
                [{"kind": "HighLoad", "severity": "warning", "reason": "load 85 %"}],
            )
            for u, m in zip(upses, measurements, strict=True)
        )  # fmt: skip
    return list(
        Ups.objects.filter(name__startswith=PREFIX).order_by("pk").values_list("pk", flat=True)
    )


# --- the stream of state changes -------------------------------------------------------

REASONS = {
    "ok": [],
    "warning": ["on battery", "load 87 %", "battery temperature 41 °C"],
    "critical": ["battery low", "output overload", "runtime below 5 min"],
    "comm_lost": ["no answer to SNMP"],
}


class Stream:
    """Payloads like `monitoring.live.state_payload`'s, each one visibly different from
    the previous one of its UPS."""

    def __init__(self, ups_ids: list[int], seed: int = 6) -> None:
        from monitoring.choices import UpsState

        self.rng = random.Random(seed)
        self.ups_ids = ups_ids
        self.UpsState = UpsState
        self.last: dict[int, dict[str, Any]] = {}

    def next(self, seq: int) -> dict[str, Any]:
        from datetime import UTC, datetime

        rng = self.rng
        ups_id = rng.choice(self.ups_ids)
        prev = self.last.get(ups_id, {"state": "ok", "load": 40, "since": None})
        if rng.random() < 1 / 3:
            state = rng.choice([s for s in REASONS if s != prev["state"]])
            since = datetime.now(UTC).isoformat()
        else:
            state, since = prev["state"], prev["since"]
        load = (prev["load"] + rng.randint(1, 9)) % 101  # always another whole %
        reasons = [rng.choice(REASONS[state])] if REASONS[state] else []
        now = datetime.now(UTC)
        self.last[ups_id] = {"state": state, "load": load, "since": since}
        st = self.UpsState(state)
        return {
            "type": "ups.state",
            "ups_id": ups_id,
            "state": st.value,
            "word": st.word,
            "label": st.label,
            "rank": st.rank,
            "reasons": reasons,
            "values": {
                "load": float(load),
                "charge": float(rng.randint(20, 100)),
                "runtime": rng.randint(300, 3600),
                "on_battery_s": rng.randint(60, 900) if state != "ok" else 0,
            },
            "at": now.isoformat(),
            "since": since,
            "last_success_at": now.isoformat(),
            "bench_seq": seq,
            "bench_t": time.time() * 1000,
        }


async def send_stream(stream: Stream, rate: float, seconds: float, first_seq: int) -> dict:
    """`rate` messages per second, each at its own slot (t0 + i / rate)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    total = int(rate * seconds)
    lateness = [0.0]
    t0 = time.perf_counter() + 0.05
    if not total:
        await asyncio.sleep(seconds)
    for i in range(total):
        slot = t0 + i / rate
        delay = slot - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        lateness.append((time.perf_counter() - slot) * 1000)
        payload = stream.next(first_seq + i)
        payload["bench_t"] = time.time() * 1000
        await layer.group_send("fleet", payload)
    elapsed = time.perf_counter() - t0
    lateness.sort()
    return {
        "sent": total,
        "elapsed_s": elapsed,
        "late_p99_ms": lateness[int(0.99 * (len(lateness) - 1))],
        "late_max_ms": lateness[-1],
    }


# --- server ------------------------------------------------------------------------------


class Server(threading.Thread):
    """uvicorn with the real ASGI app on a free 127.0.0.1 port, in its own loop."""

    def __init__(self) -> None:
        super().__init__(name="bench-server", daemon=True)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.started = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self.error = exc
            self.started.set()

    async def _main(self) -> None:
        import uvicorn
        from asgiref.sync import sync_to_async
        from django.db import connections

        from unms.asgi import application

        self.loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        config = uvicorn.Config(application, lifespan="off", log_level="warning")
        self.server = uvicorn.Server(config)
        web = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            if web.done():
                web.result()
            await asyncio.sleep(0.02)
        self.started.set()
        await self.stop_event.wait()
        self.server.should_exit = True
        await web
        await sync_to_async(connections.close_all)()

    def start(self) -> None:  # type: ignore[override]
        super().start()
        self.started.wait(30)
        if self.error is not None:
            raise self.error

    def submit(self, coro: Any) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.join(30)


# --- in the page -------------------------------------------------------------------------

# Injected before any page script (DevTools protocol: not subject to the page's CSP).
INSTRUMENT = r"""
(() => {
  const B = (window.__bench = {
    running: false, frames: [], longTasks: [], loafs: [],
    messages: 0, toRecv: [], toDom: [], recvToDom: [], pending: new Map(),
    snapshotAt: null, snapshotDrawnAt: null,
  });
  const now = () => performance.timeOrigin + performance.now();

  let last = null;
  function tick(t) {
    if (B.running && last !== null) B.frames.push(t - last);
    last = t;
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);

  for (const [type, list] of [["longtask", "longTasks"], ["long-animation-frame", "loafs"]]) {
    try {
      new PerformanceObserver((entries) => {
        if (!B.running) return;
        for (const e of entries.getEntries()) {
          B[list].push(e.duration);
          if (type === "long-animation-frame" && e.scripts) {
            B.loafScripts = B.loafScripts || {};
            for (const s of e.scripts) {
              const key = `${s.invoker || "?"} ${s.sourceFunctionName || ""}`.trim();
              B.loafScripts[key] = (B.loafScripts[key] || 0) + s.duration;
            }
          }
        }
      }).observe({ type, buffered: false });
    } catch (e) { B[list + "Error"] = String(e); }
  }

  // Our listener is added in the constructor, before the page's: it sees each message
  // first, at its arrival.
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const data = event.data;
        if (typeof data !== "string") return;
        if (data.startsWith('{"type": "fleet.snapshot"') || data.includes('"fleet.snapshot"')) {
          if (B.snapshotAt === null) {
            B.snapshotAt = performance.now();
            // The snapshot is drawn in the next frame; after that frame's work:
            const drawn = () => { B.snapshotDrawnAt = performance.now(); };
            requestAnimationFrame(() => setTimeout(drawn, 0));
          }
          return;
        }
        if (!data.includes('"bench_seq"')) return;
        const m = JSON.parse(data);
        const t = now();
        B.messages += 1;
        B.toRecv.push(t - m.bench_t);
        let list = B.pending.get(m.ups_id);
        if (!list) B.pending.set(m.ups_id, (list = []));
        list.push([m.bench_t, t]);
      });
    }
  };

  function observe() {
    const groups = document.getElementById("fleet-groups");
    if (!groups) return;
    new MutationObserver((records) => {
      const t = now();
      const seen = new Set();
      for (const r of records) {
        const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        const tile = el && el.closest("[data-ups]");
        if (tile) seen.add(Number(tile.dataset.ups));
      }
      for (const id of seen) {
        const list = B.pending.get(id);
        if (!list || !list.length) continue;
        for (const [sent, recv] of list) {
          B.toDom.push(t - sent);
          B.recvToDom.push(t - recv);
        }
        list.length = 0;
      }
    }).observe(groups, { subtree: true, childList: true, attributes: true, characterData: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", observe);
  else observe();

  B.start = () => {
    B.frames = []; B.longTasks = []; B.loafs = []; B.loafScripts = {};
    B.messages = 0; B.toRecv = []; B.toDom = []; B.recvToDom = []; B.pending.clear();
    B.running = true;
  };
  B.stop = () => {
    B.running = false;
    let unrendered = 0;
    for (const list of B.pending.values()) unrendered += list.length;
    return {
      frames: B.frames, longTasks: B.longTasks, loafs: B.loafs, loafScripts: B.loafScripts,
      messages: B.messages, toRecv: B.toRecv, toDom: B.toDom, recvToDom: B.recvToDom,
      unrendered,
    };
  };
})();
"""


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def metrics(cdp: Any) -> dict[str, float]:
    cdp.send("HeapProfiler.collectGarbage")
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def page_load(page: Any, url: str) -> dict[str, float]:
    """One navigation to `/`: navigation timing, then until the WebSocket snapshot is
    drawn (the page is live)."""
    start = time.perf_counter()
    page.goto(url + "/")
    page.wait_for_selector("body[data-live=live]", timeout=60_000)
    page.wait_for_function("window.__bench.snapshotDrawnAt !== null", timeout=60_000)
    wall = (time.perf_counter() - start) * 1000
    nav = page.evaluate(
        """() => {
          const n = performance.getEntriesByType("navigation")[0];
          return {ttfb: n.responseStart, html: n.responseEnd, dcl: n.domContentLoadedEventEnd,
                  load: n.loadEventEnd, bytes: n.transferSize,
                  snapshot: window.__bench.snapshotAt, live: window.__bench.snapshotDrawnAt,
                  tiles: document.querySelectorAll("#fleet-groups li.tile[data-ups]").length};
        }"""
    )
    nav["wall"] = wall
    return nav


def run_stream(
    page: Any, cdp: Any, server: Server, stream: Stream, rate: float, seconds: float, seq: int
) -> dict[str, Any]:
    page.wait_for_timeout(1000)  # settle after the load
    before = metrics(cdp)
    page.evaluate("window.__bench.start()")
    future = server.submit(send_stream(stream, rate, seconds, seq))
    while not future.done():
        page.wait_for_timeout(200)
    sent = future.result()
    page.wait_for_timeout(1000)  # let the last messages be drawn
    result = page.evaluate("window.__bench.stop()")
    after = metrics(cdp)
    result["sent"] = sent
    result["cdp_before"] = before
    result["cdp_after"] = after
    return result


def summarize(view: str, r: dict[str, Any], seconds: float) -> dict[str, Any]:
    frames = r["frames"]
    b, a = r["cdp_before"], r["cdp_after"]

    def busy(key: str) -> float:  # share of the wall time, in %
        return 100 * (a.get(key, 0) - b.get(key, 0)) / (seconds + 1)

    return {
        "view": view,
        "sent": r["sent"]["sent"],
        "send_elapsed_s": r["sent"]["elapsed_s"],
        "send_late_p99_ms": r["sent"]["late_p99_ms"],
        "received": r["messages"],
        "drawn": len(r["toDom"]),
        "unrendered": r["unrendered"],
        "frames": len(frames),
        "fps": len(frames) / (sum(frames) / 1000) if frames else 0,
        "frame_p50": pct(frames, 0.5),
        "frame_p95": pct(frames, 0.95),
        "frame_p99": pct(frames, 0.99),
        "frame_max": max(frames) if frames else float("nan"),
        "frames_over_33": sum(1 for f in frames if f > 33.4),
        "frames_over_50": sum(1 for f in frames if f > 50),
        "long_tasks": len(r["longTasks"]),
        "long_task_max": max(r["longTasks"], default=0),
        "loafs": len(r["loafs"]),
        "loaf_max": max(r["loafs"], default=0),
        "loaf_scripts": r.get("loafScripts") or {},
        "recv_p50": pct(r["toRecv"], 0.5),
        "recv_p99": pct(r["toRecv"], 0.99),
        "dom_p50": pct(r["toDom"], 0.5),
        "dom_p95": pct(r["toDom"], 0.95),
        "dom_p99": pct(r["toDom"], 0.99),
        "dom_max": max(r["toDom"], default=float("nan")),
        "recv_to_dom_p50": pct(r["recvToDom"], 0.5),
        "recv_to_dom_p99": pct(r["recvToDom"], 0.99),
        "heap_start_mb": b["JSHeapUsedSize"] / 2**20,
        "heap_end_mb": a["JSHeapUsedSize"] / 2**20,
        "nodes_start": b.get("Nodes"),
        "nodes_end": a.get("Nodes"),
        "main_busy_pct": busy("TaskDuration"),
        "script_pct": busy("ScriptDuration"),
        "style_pct": busy("RecalcStyleDuration"),
        "layout_pct": busy("LayoutDuration"),
        "layouts": a.get("LayoutCount", 0) - b.get("LayoutCount", 0),
        "style_recalcs": a.get("RecalcStyleCount", 0) - b.get("RecalcStyleCount", 0),
    }


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"nproc {os.cpu_count()}, {model}, load average {load}, Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--layer", choices=["memory", "redis"], default="memory")
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--upses", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument(
        "--views",
        nargs="+",
        choices=["idle", "all", "problems"],
        default=["idle", "all", "problems"],
    )
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--json", help="also write the raw summary here")
    args = parser.parse_args()

    setup(args.url, args.layer, args.redis, args.reuse)
    ups_ids = ensure_fleet(args.upses)[: args.upses]
    stream = Stream(ups_ids)
    from playwright.sync_api import sync_playwright

    print(machine())
    server = Server()
    server.start()
    summaries: list[dict[str, Any]] = []
    loads: list[dict[str, float]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"Chromium {browser.version}, {args.layer} channel layer, {len(ups_ids)} UPSs")
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.add_init_script(INSTRUMENT)
            page.goto(server.url + "/")
            page.fill("input[name=username]", USERNAME)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("body[data-live=live]", timeout=60_000)
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            for _ in range(args.loads):
                loads.append(page_load(page, server.url))
            seq = 0
            for view in args.views:
                if view == "problems":
                    page.click(".views a[data-view=problems]")
                else:
                    page.click(".views a[data-view=all]")
                rate = 0 if view == "idle" else args.rate  # idle: the "All" view, no messages
                r = run_stream(page, cdp, server, stream, rate, args.seconds, seq)
                seq += r["sent"]["sent"]
                summaries.append(summarize(view, r, args.seconds))
            if errors:
                print("page errors:", errors[:5])
            browser.close()
    finally:
        server.stop()

    print(f"machine at the end: {machine()}")
    print("\ninitial load of / (ms from navigation start; wall: goto until the snapshot is drawn)")
    print(
        "| run | TTFB | HTML done | DOMContentLoaded | load | snapshot in | live (drawn) | wall |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, n in enumerate(loads, 1):
        print(
            f"| {i} | {n['ttfb']:.0f} | {n['html']:.0f} | {n['dcl']:.0f} | {n['load']:.0f} | "
            f"{n['snapshot']:.0f} | {n['live']:.0f} | {n['wall']:.0f} |"
        )
    for s in summaries:
        print(
            f"\nview {s['view']}: sent {s['sent']} in {s['send_elapsed_s']:.1f} s "
            f"(send slot p99 late {s['send_late_p99_ms']:.1f} ms), received {s['received']}, "
            f"drawn {s['drawn']}, never drawn {s['unrendered']}"
        )
        print(
            f"  frames {s['frames']} ({s['fps']:.1f} fps): p50 {s['frame_p50']:.1f} ms, "
            f"p95 {s['frame_p95']:.1f}, p99 {s['frame_p99']:.1f}, max {s['frame_max']:.1f}; "
            f">33 ms {s['frames_over_33']}, >50 ms {s['frames_over_50']}; long tasks "
            f"{s['long_tasks']} (max {s['long_task_max']:.0f} ms), long animation frames "
            f"{s['loafs']} (max {s['loaf_max']:.0f} ms)"
        )
        print(
            f"  send→page p50 {s['recv_p50']:.1f} ms p99 {s['recv_p99']:.1f}; send→DOM p50 "
            f"{s['dom_p50']:.1f} p95 {s['dom_p95']:.1f} p99 {s['dom_p99']:.1f} max "
            f"{s['dom_max']:.1f}; arrival→DOM p50 {s['recv_to_dom_p50']:.1f} p99 "
            f"{s['recv_to_dom_p99']:.1f}"
        )
        print(
            f"  JS heap {s['heap_start_mb']:.1f} → {s['heap_end_mb']:.1f} MB, DOM nodes "
            f"{s['nodes_start']:.0f} → {s['nodes_end']:.0f}; renderer main thread busy "
            f"{s['main_busy_pct']:.1f} % (script {s['script_pct']:.1f}, style "
            f"{s['style_pct']:.1f}, layout {s['layout_pct']:.1f}); {s['style_recalcs']:.0f} "
            f"style recalcs, {s['layouts']:.0f} layouts"
        )
        if s["loaf_scripts"]:
            top = sorted(s["loaf_scripts"].items(), key=lambda kv: -kv[1])[:3]
            print("  long-frame scripts: " + ", ".join(f"{k} {v:.0f} ms" for k, v in top))
    if args.json:
        Path(args.json).write_text(json.dumps({"loads": loads, "runs": summaries}, indent=1))


if __name__ == "__main__":
    main()
