"""Trap ingest on loopback: traps/s stored, loss, and trap-to-event latency.

    createdb -h 127.0.0.1 -U postgres unms_trapbench   # a throwaway database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/unms_trapbench \\
        .venv/bin/python bench/trap_ingest.py

The receiver (`monitoring.traps.receiver.TrapReceiver`, the code `manage.py trapd` runs)
lives in a SEPARATE process writing to the database of DATABASE_URL; several sender
processes, each bound to its own 127.0.0.x address (one "card" each), send v2c
upsTrapOnBattery traps that carry their send time (ns) in a varbind. The bench's own
AFTER_TRAPS step records send → step latency; `--with-steps` runs the configured steps
(the alarm lifecycle) before it, in one transaction, so the figure becomes trap → alarm
(steps finished, after-commit hooks such as the console push included), and the
"commit" columns give send → that transaction committed (the alarm rows visible).

Scenarios: bursts (every sender as fast as it can) of 10 000 and 100 000 traps; a
sustained 5 000 traps/s for 20 s; 100 traps/s "normal load" for latency. Loss is
sent - stored, with the kernel's counters beside it: RcvbufErrors (whole host) and the
receiver socket's own drops. Creates UPSs "bench-trap-N" at 127.0.0.101.. and deletes the
traps they sent before each run; do not point it at a production database.
Prints a table (and --json); asserts nothing.

`--fleet 150` is the realistic mode instead (always with the configured steps, so the
latency is trap → alarm: send → the alarm step finished, its transaction committed):
150 UPSs "bench-fleet-N" on their own addresses 127.0.1.1.. (one sender process holding
one socket per card) and two scenarios, each starting with no open alarm on the fleet:
- "outage": a regional mains failure, `--outage` (60) UPSs go on battery within
  `--outage-spread-s` (1.5 s), each sending upsTrapOnBattery and
  upsTrapAlarmEntryAdded(upsAlarmOnBattery) a few ms apart: 120 traps that all raise;
- "fleet": every UPS on battery, each sending upsTrapOnBattery every
  `--fleet-interval-s` (60 s, what cards do) at a random phase for `--fleet-s` (120 s):
  ~2.5 traps/s, the first of each UPS raises, the rest update.
The fleet's UPSs are created with bulk_create, which skips the licence guard (a save()
signal): a throwaway bench database only.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unms.settings")

BASE = "127.0.0.{}"
FIRST_HOST = 101
FLEET_PREFIX = "bench-fleet-"
STAMP_OID = "1.3.6.1.4.1.99999.42.1.0"  # Counter64 send time (ns) inside each trap
COMMUNITY = "bench-traps"


# --------------------------------------------------------------------------- receiver


LATENCIES_NS: list[int] = []
_lat_lock = threading.Lock()


def latency_step(events: list[Any]) -> None:
    """AFTER_TRAPS step of the bench: send → now, from the stamp each trap carries."""
    now = time.time_ns()
    stamps = [e.varbinds.get(STAMP_OID) for e in events]
    with _lat_lock:
        LATENCIES_NS.extend(now - s for s in stamps if isinstance(s, int))


COMMITTED_NS: list[int] = []
STEP_PATHS: list[str] = []


def configured_steps(events: list[Any]) -> None:
    """With --with-steps: the configured AFTER_TRAPS steps inside one transaction whose
    first on-commit hook notes send → commit (the alarm rows are visible from then on),
    before the steps' own hooks (the console push) run; the latency step after this one
    then notes send → steps finished."""
    from django.db import transaction
    from django.utils.module_loading import import_string

    def committed() -> None:
        now = time.time_ns()
        stamps = [e.varbinds.get(STAMP_OID) for e in events]
        with _lat_lock:
            COMMITTED_NS.extend(now - s for s in stamps if isinstance(s, int))

    with transaction.atomic():
        transaction.on_commit(committed)
        for path in STEP_PATHS:
            import_string(path)(events)


def receiver_main(conn: Connection, bind_port: int, with_steps: bool) -> None:
    import django

    django.setup()
    from django.conf import settings

    from monitoring.traps.receiver import ReceiverConfig, ReceiverThread

    configured = list(settings.UNMS.get("AFTER_TRAPS", [])) if with_steps else []
    STEP_PATHS[:] = configured
    ours = [f"{__name__}.configured_steps"] if configured else []
    settings.UNMS = {**settings.UNMS, "AFTER_TRAPS": [*ours, f"{__name__}.latency_step"]}
    config = ReceiverConfig.from_settings(f"127.0.0.1:{bind_port}", stats_every_s=3600)
    thread = ReceiverThread(config)
    address = thread.start()
    assert thread.receiver is not None
    conn.send({"address": address, "rcvbuf": thread.receiver.effective_rcvbuf, "steps": configured})
    while True:
        command = conn.recv()
        if command == "stats":
            conn.send(thread.receiver.stats())
        elif command == "latency_count":
            with _lat_lock:
                conn.send(len(LATENCIES_NS))
        elif command == "latencies":
            with _lat_lock:
                conn.send((list(LATENCIES_NS), list(COMMITTED_NS)))
                LATENCIES_NS.clear()
                COMMITTED_NS.clear()
        elif command == "stop":
            thread.stop()
            conn.send("stopped")
            return


# --------------------------------------------------------------------------- senders


def sender_main(
    host: str, target: tuple[str, int], count: int, rate: float, start_at: float, out: Any
) -> None:
    from monitoring.snmp.ber import counter64, integer, oid

    sys.path.insert(0, str(ROOT))
    from tests.traps.helpers import MINUTES_REMAINING_0, v2c_trap

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.bind((host, 0))
    stamp_oid = oid(STAMP_OID)
    trap_oid = "1.3.6.1.2.1.33.2.1"
    while time.time() < start_at:
        time.sleep(0.001)
    began = time.perf_counter()
    sent = 0
    for n in range(count):
        if rate:
            # Paced: sleep until this trap's slot (keeps the rate even, not bursty).
            due = began + n / rate
            delay = due - time.perf_counter()
            if delay > 0.0005:
                time.sleep(delay)
        data = v2c_trap(
            trap_oid,
            [(MINUTES_REMAINING_0, integer(30)), (stamp_oid, counter64(time.time_ns()))],
            community=COMMUNITY,
            request_id=n & 0x7FFFFFFF,
        )
        try:
            sock.sendto(data, target)
            sent += 1
        except BlockingIOError:  # only without pacing on a full send buffer
            time.sleep(0.0005)
    out.put((host, sent, time.perf_counter() - began))


def fleet_address(i: int) -> str:
    """Card i of the realistic fleet: 127.0.1.1, 127.0.1.2, … (250 per /24)."""
    return f"127.0.{1 + i // 250}.{i % 250 + 1}"


def fleet_sender_main(
    hosts: list[str],
    target: tuple[str, int],
    schedule: list[tuple[float, int, str]],
    start_at: float,
    out: Any,
) -> None:
    """One process, one socket per card: sends (offset s, card, "on_battery" |
    "alarm_added") at start_at + offset, each trap stamped with its send time."""
    from monitoring.snmp.ber import counter64, integer, oid

    sys.path.insert(0, str(ROOT))
    from tests.traps.helpers import MINUTES_REMAINING_0, UPS_TRAPS, alarm_varbinds, v2c_trap

    socks = []
    for host in hosts:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((host, 0))
        socks.append(sock)
    stamp_oid = oid(STAMP_OID)
    sent = 0
    while time.time() < start_at:
        time.sleep(0.001)
    for n, (offset, card, kind) in enumerate(sorted(schedule)):
        delay = start_at + offset - time.time()
        if delay > 0:
            time.sleep(delay)
        stamp = (stamp_oid, counter64(time.time_ns()))
        if kind == "alarm_added":
            data = v2c_trap(
                (*UPS_TRAPS, 3),
                [*alarm_varbinds("OnBattery", card + 1), stamp],
                community=COMMUNITY,
                request_id=n,
            )
        else:
            data = v2c_trap(
                (*UPS_TRAPS, 1),
                [(MINUTES_REMAINING_0, integer(30)), stamp],
                community=COMMUNITY,
                request_id=n,
            )
        socks[card].sendto(data, target)
        sent += 1
    for sock in socks:
        sock.close()
    out.put(("fleet", sent, time.time() - start_at))


def outage_schedule(
    cards: int, spread_s: float, rng: random.Random
) -> list[tuple[float, int, str]]:
    """A regional mains failure: every card goes on battery within spread_s and sends
    upsTrapOnBattery then upsTrapAlarmEntryAdded(OnBattery) 5-50 ms later."""
    out: list[tuple[float, int, str]] = []
    for card in range(cards):
        t = rng.uniform(0, spread_s)
        out += [(t, card, "on_battery"), (t + rng.uniform(0.005, 0.05), card, "alarm_added")]
    return out


def fleet_schedule(
    cards: int, interval_s: float, duration_s: float, rng: random.Random
) -> list[tuple[float, int, str]]:
    """Every card on battery, repeating upsTrapOnBattery every interval_s (random phase)."""
    out: list[tuple[float, int, str]] = []
    for card in range(cards):
        t = rng.uniform(0, interval_s)
        while t < duration_s:
            out.append((t, card, "on_battery"))
            t += interval_s
    return out


# --------------------------------------------------------------------------- bench


@dataclass
class Result:
    name: str
    senders: int
    offered_rate: str
    sent: int
    stored: int
    lost: int
    seconds: float  # first send → last trap stored
    stored_per_s: float
    send_per_s: float
    kernel_rcvbuf_errors: int | None
    socket_drops: int | None
    queue_dropped: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    latency_max_ms: float | None
    # --with-steps: send → the alarm transaction committed (alarm rows visible)
    committed_p50_ms: float | None = None
    committed_p99_ms: float | None = None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Bench:
    def __init__(self, senders: int, with_steps: bool, fleet: int = 0) -> None:
        import django

        django.setup()
        self.senders = senders
        self.hosts = [BASE.format(FIRST_HOST + i) for i in range(senders)]
        self.fleet_hosts = [fleet_address(i) for i in range(fleet)]
        self._prepare_database()
        if fleet:
            self._prepare_fleet()
        ctx = mp.get_context("spawn")
        self.ctx = ctx
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=receiver_main, args=(child, 0, with_steps), daemon=True)
        self.process.start()
        hello = self.conn.recv()
        self.target: tuple[str, int] = tuple(hello["address"])  # type: ignore[assignment]
        self.rcvbuf = hello["rcvbuf"]
        self.steps = hello["steps"]

    def _prepare_database(self) -> None:
        from django.core.management import call_command

        from monitoring.models import Site, Trap, Ups

        call_command("migrate", verbosity=0)
        site, _ = Site.objects.get_or_create(name="bench-trap-site")
        for i, host in enumerate(self.hosts):
            Ups.objects.update_or_create(
                name=f"bench-trap-{i + 1}",
                defaults={"site": site, "host": host, "port": 161, "trap_community": COMMUNITY},
            )
        Trap.objects.filter(source_address__in=self.hosts).delete()

    def _prepare_fleet(self) -> None:
        from monitoring.models import Site, Trap, Ups

        site, _ = Site.objects.get_or_create(name="bench-fleet-site")
        have = set(Ups.objects.filter(name__startswith=FLEET_PREFIX).values_list("name", flat=True))
        # bulk_create: no save() signal, so no licence guard (a throwaway database).
        Ups.objects.bulk_create(
            Ups(
                name=f"{FLEET_PREFIX}{i + 1}",
                site=site,
                host=host,
                port=161,
                trap_community=COMMUNITY,
                enabled=True,
            )
            for i, host in enumerate(self.fleet_hosts)
            if f"{FLEET_PREFIX}{i + 1}" not in have
        )
        Trap.objects.filter(source_address__in=self.fleet_hosts).delete()

    def _close_fleet_alarms(self) -> None:
        """Every scenario starts with no open (or recently cleared) alarm on the fleet."""
        from datetime import timedelta

        from django.utils import timezone

        from alarms.choices import AlarmState
        from alarms.models import Alarm

        long_ago = timezone.now() - timedelta(days=1)
        Alarm.objects.filter(ups__name__startswith=FLEET_PREFIX, cleared_at__isnull=True).update(
            cleared_at=long_ago, state=AlarmState.CLEARED, frozen=False, latched=False
        )
        Alarm.objects.filter(ups__name__startswith=FLEET_PREFIX, cleared_at__gt=long_ago).update(
            cleared_at=long_ago
        )

    def run_fleet(
        self, name: str, schedule: list[tuple[float, int, str]], settle_s: float = 60.0
    ) -> Result:
        """Send the schedule from one process; wait until every trap has been through
        the steps (or nothing moves for settle_s)."""
        self._close_fleet_alarms()
        self.ask("latencies")  # clear
        before = self.ask("stats")
        out = self.ctx.Queue()
        start_at = time.time() + 1.0
        proc = self.ctx.Process(
            target=fleet_sender_main, args=(self.fleet_hosts, self.target, schedule, start_at, out)
        )
        proc.start()
        _, sent, send_s = out.get()
        proc.join()
        last_count, last_change = self.ask("latency_count"), time.time()
        while last_count < sent and time.time() - last_change < settle_s:
            time.sleep(0.05)
            count = self.ask("latency_count")
            if count != last_count:
                last_count, last_change = count, time.time()
        done_at = time.time() if last_count >= sent else last_change
        duration = max(offset for offset, _, _ in schedule) or 1.0
        return self._result(
            name,
            len({card for _, card, _ in schedule}),
            f"{len(schedule) / duration:.1f}/s",
            sent,
            send_s,
            before,
            start_at,
            done_at,
        )

    def ask(self, command: str) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def stored(self) -> int:
        return int(self.ask("stats")["stored"])

    def run(self, name: str, total: int, rate: float, settle_s: float = 30.0) -> Result:
        self.ask("latencies")  # clear
        before = self.ask("stats")
        out = self.ctx.Queue()
        per = [
            total // self.senders + (1 if i < total % self.senders else 0)
            for i in range(self.senders)
        ]
        start_at = time.time() + 1.0
        procs = [
            self.ctx.Process(
                target=sender_main,
                args=(host, self.target, n, rate / self.senders if rate else 0.0, start_at, out),
            )
            for host, n in zip(self.hosts, per, strict=True)
        ]
        for p in procs:
            p.start()
        reports = [out.get() for _ in procs]
        for p in procs:
            p.join()
        sent = sum(r[1] for r in reports)
        send_s = max(r[2] for r in reports)
        # Wait until everything sent is stored, or nothing more arrives for settle_s.
        expected = before["stored"] + sent
        last_count, last_change = self.stored(), time.time()
        while last_count < expected and time.time() - last_change < settle_s:
            time.sleep(0.05)
            count = self.stored()
            if count != last_count:
                last_count, last_change = count, time.time()
        done_at = last_change if last_count < expected else time.time()
        # The steps run behind the store (their own thread): wait for them too, or a slow
        # step's tail would be left out of the latencies.
        stored_now = last_count - before["stored"]
        count, moved = self.ask("latency_count"), time.time()
        while count < stored_now and time.time() - moved < settle_s:
            time.sleep(0.05)
            if (now_count := self.ask("latency_count")) != count:
                count, moved = now_count, time.time()
        return self._result(
            name,
            self.senders,
            "max" if not rate else f"{rate:.0f}/s",
            sent,
            send_s,
            before,
            start_at,
            done_at,
        )

    def _result(
        self,
        name: str,
        senders: int,
        offered_rate: str,
        sent: int,
        send_s: float,
        before: dict[str, Any],
        start_at: float,
        done_at: float,
    ) -> Result:
        """The scenario's Result, from the receiver's stats and latencies now."""
        after = self.ask("stats")
        step_ns, committed_ns = self.ask("latencies")
        latencies = [ns / 1e6 for ns in step_ns]
        committed = [ns / 1e6 for ns in committed_ns]
        stored = after["stored"] - before["stored"]
        seconds = done_at - start_at

        def delta(key: str) -> int | None:
            a, b = after.get(key), before.get(key)
            return a - b if a is not None and b is not None else None

        return Result(
            name=name,
            senders=senders,
            offered_rate=offered_rate,
            sent=sent,
            stored=stored,
            lost=sent - stored,
            seconds=round(seconds, 2),
            stored_per_s=round(stored / seconds, 0) if seconds > 0 else 0.0,
            send_per_s=round(sent / send_s, 0) if send_s > 0 else 0.0,
            kernel_rcvbuf_errors=delta("kernel_rcvbuf_errors"),
            socket_drops=delta("socket_drops"),
            queue_dropped=after["dropped"] - before["dropped"],
            latency_p50_ms=_round(percentile(latencies, 0.50)),
            latency_p99_ms=_round(percentile(latencies, 0.99)),
            latency_max_ms=_round(max(latencies) if latencies else None),
            committed_p50_ms=_round(percentile(committed, 0.50)),
            committed_p99_ms=_round(percentile(committed, 0.99)),
        )

    def close(self) -> None:
        self.ask("stop")
        self.process.join(30)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        rmem_max = int(Path("/proc/sys/net/core/rmem_max").read_text())
    except OSError:
        rmem_max = None
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "rmem_max": rmem_max,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--bursts", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--sustained-rate", type=float, default=5000.0)
    parser.add_argument("--sustained-s", type=float, default=20.0)
    parser.add_argument("--normal-rate", type=float, default=100.0)
    parser.add_argument("--normal-s", type=float, default=20.0)
    parser.add_argument(
        "--with-steps", action="store_true", help="run the configured AFTER_TRAPS steps too"
    )
    parser.add_argument(
        "--fleet", type=int, default=0, help="realistic mode: this many UPSs (e.g. 150)"
    )
    parser.add_argument("--fleet-s", type=float, default=120.0)
    parser.add_argument("--fleet-interval-s", type=float, default=60.0)
    parser.add_argument("--outage", type=int, default=60, help="UPSs in the regional outage")
    parser.add_argument("--outage-spread-s", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    bench = Bench(args.senders, args.with_steps or args.fleet > 0, args.fleet)
    from django.db import connection

    results: list[Result] = []
    rng = random.Random(args.seed)
    try:
        if args.fleet:
            if args.outage:
                outage = outage_schedule(min(args.outage, args.fleet), args.outage_spread_s, rng)
                results.append(bench.run_fleet(f"outage {args.outage} UPS", outage))
            if args.fleet_s > 0:
                steady = fleet_schedule(args.fleet, args.fleet_interval_s, args.fleet_s, rng)
                results.append(bench.run_fleet(f"fleet {args.fleet} UPS", steady))
            args.bursts, args.sustained_s, args.normal_s = [], 0, 0
        for size in args.bursts:
            results.append(bench.run(f"burst {size}", size, 0.0))
        if args.sustained_s > 0:
            total = int(args.sustained_rate * args.sustained_s)
            results.append(
                bench.run(f"sustained {args.sustained_s:.0f} s", total, args.sustained_rate)
            )
        if args.normal_s > 0:
            total = int(args.normal_rate * args.normal_s)
            results.append(bench.run(f"normal {args.normal_s:.0f} s", total, args.normal_rate))
    finally:
        bench.close()
    info = machine() | {
        "database": connection.vendor,
        "receiver_rcvbuf": bench.rcvbuf,
        "steps": [*bench.steps, "bench latency step"],
    }
    if args.json:
        print(json.dumps({"machine": info, "results": [asdict(r) for r in results]}, indent=2))
        return
    print(" ".join(f"{k}={v}" for k, v in info.items()))
    header = (
        f"{'scenario':<16} {'offered':>8} {'sent':>7} {'stored':>7} {'lost':>6} {'secs':>6} "
        f"{'stored/s':>8} {'kRcvbuf':>7} {'sockdrop':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'commit p50':>10} {'commit p99':>10}"
    )
    print(header)
    for r in results:
        print(
            f"{r.name:<16} {r.offered_rate:>8} {r.sent:>7} {r.stored:>7} {r.lost:>6} "
            f"{r.seconds:>6} {r.stored_per_s:>8.0f} {r.kernel_rcvbuf_errors!s:>7} "
            f"{r.socket_drops!s:>8} "
            f"{r.latency_p50_ms!s:>7} {r.latency_p99_ms!s:>7} {r.latency_max_ms!s:>7}"
            f" {r.committed_p50_ms!s:>10} {r.committed_p99_ms!s:>10}"
        )


if __name__ == "__main__":
    main()
