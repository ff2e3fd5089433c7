"""Notification storm: 1 000 alarms raised within one minute across 150 UPSs, 10
recipients, e-mail to a real SMTP sink on loopback. Not a test; run by hand:
    .venv/bin/python bench/notify_storm.py [--url postgres://…/unms_notify_bench]
                                           [--alarms 1000] [--seconds 60] [--tick 1]
                                           [--digest-window 60]
Two runs on a fresh database each: storm control on (the default rule: warnings
collected per recipient in a digest window, critical one by one) and off (every
notification its own e-mail). Alarms are written as the lifecycle writes them (Alarm +
RAISED AlarmEvent) on a real-time schedule; the notifier runs as in the embedded mode:
every tick, `plan_notifications` then `deliver_due`. Reports messages received, latency
from raise to sent (p50/p99) and database load of the notifier (queries counted with
`connection.execute_wrapper`, per notification and per message). Results:
docs/benchmarks.md, "Notification storm".
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
from typing import Any
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/unms_notify_bench"
UPS_COUNT, SITE_COUNT, RECIPIENTS = 150, 30, 10
# (kind, severity, weight): on battery dominates a mains failure.
KINDS = [
    ("OnBattery", "warning", 40),
    ("InputBad", "warning", 20),
    ("LowCharge", "warning", 10),
    ("HighLoad", "warning", 10),
    ("LowRuntime", "critical", 6),
    ("LowBattery", "critical", 4),
    ("OnBypass", "warning", 5),
    ("FanFailure", "warning", 5),
]


def fresh_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0
        self.enabled = False

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if self.enabled:
            self.count += 1
        return execute(sql, params, many, context)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(args: argparse.Namespace, storm_control: bool) -> dict[str, Any]:
    from aiosmtpd.controller import Controller
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from alarms.choices import AlarmState, EventKind
    from alarms.models import Alarm, AlarmEvent
    from monitoring.models import Site, Ups
    from notifications import outbox, sender
    from notifications.choices import ChannelKind, State, Trigger
    from notifications.models import Channel, Notification, Recipient, Rule, RuleStep, RuleTarget

    fresh_database(args.url)
    connection.close()
    call_command("migrate", verbosity=0)

    class Sink:
        messages = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            Sink.messages += 1
            return "250 OK"

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=args.smtp_port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", args.smtp_port
    settings.NOTIFY = {**settings.NOTIFY, "DIGEST_WINDOW_S": args.digest_window}

    sites = Site.objects.bulk_create(Site(name=f"Branch {i:02d}") for i in range(SITE_COUNT))
    # Disabled: nothing polls them here, and a licence limit on monitored UPSs stays out.
    upses = Ups.objects.bulk_create(
        Ups(
            name=f"ups-{i:03d}",
            site=sites[i % SITE_COUNT],
            host=f"127.0.1.{i + 1}",
            port=20000 + i,
            enabled=False,
        )
        for i in range(UPS_COUNT)
    )
    channel = Channel.objects.create(name="E-mail", kind=ChannelKind.EMAIL)
    rule = Rule.objects.create(
        name="everything",
        storm_control=storm_control,
        active_since=timezone.now() - timedelta(minutes=1),
    )
    RuleStep.objects.create(rule=rule, trigger=Trigger.IMMEDIATE)
    for i in range(RECIPIENTS):
        r = Recipient.objects.create(name=f"operator-{i}", address=f"op{i}@example.org")
        RuleTarget.objects.create(rule=rule, recipient=r, channel=channel)

    rng = random.Random(5)
    slots = [(u, k, s) for u in upses for k, s, w in KINDS for _ in range(1)]
    weights = [w for _ in upses for _, _, w in KINDS]
    chosen: list[tuple[Any, str, str]] = []
    seen: set[tuple[int, str]] = set()
    while len(chosen) < args.alarms:
        u, k, s = rng.choices(slots, weights)[0]
        if (u.pk, k) not in seen:  # one open alarm per UPS and kind
            seen.add((u.pk, k))
            chosen.append((u, k, s))
    offsets = sorted(rng.uniform(0, args.seconds) for _ in chosen)

    counter = QueryCounter()
    start = time.monotonic()
    raised = 0
    notifier_s = 0.0
    with connection.execute_wrapper(counter):
        while True:
            elapsed = time.monotonic() - start
            while raised < len(chosen) and offsets[raised] <= elapsed:
                u, k, s = chosen[raised]
                now = timezone.now()
                a = Alarm.objects.create(
                    ups=u,
                    kind=k,
                    severity=s,
                    message=f"{k} on {u.name}",
                    state=AlarmState.ACTIVE_UNACKED,
                    source="poll",
                    raised_at=now,
                    last_seen_at=now,
                )
                AlarmEvent.objects.create(
                    ups=u, alarm=a, at=now, kind=EventKind.RAISED, condition=k
                )
                raised += 1
            t0 = time.monotonic()
            counter.enabled = True
            outbox.plan_pending()
            sender.deliver_due()
            counter.enabled = False
            notifier_s += time.monotonic() - t0
            done = (
                raised == len(chosen)
                and not Notification.objects.exclude(state__in=[State.SENT, State.FAILED]).exists()
            )
            if done:
                break
            time.sleep(max(0.0, args.tick - (time.monotonic() - t0)))
    wall = time.monotonic() - start
    controller.stop()

    rows = list(
        Notification.objects.select_related("alarm").values_list(
            "state", "digest", "sent_at", "alarm__raised_at", "alarm__severity"
        )
    )
    latency_all = [(sent - r).total_seconds() for _, _, sent, r, _ in rows if sent]
    latency_crit = [
        (sent - r).total_seconds() for _, _, sent, r, sev in rows if sent and sev == "critical"
    ]
    return {
        "storm_control": storm_control,
        "alarms": len(chosen),
        "notifications": len(rows),
        "sent": sum(1 for s, *_ in rows if s == State.SENT),
        "failed": sum(1 for s, *_ in rows if s == State.FAILED),
        "messages": Sink.messages,
        "p50_s": pct(latency_all, 50),
        "p99_s": pct(latency_all, 99),
        "critical_p50_s": pct(latency_crit, 50),
        "critical_p99_s": pct(latency_crit, 99),
        "queries": counter.count,
        "queries_per_notification": counter.count / max(len(rows), 1),
        "queries_per_message": counter.count / max(Sink.messages, 1),
        "notifier_cpu_wall_s": notifier_s,
        "wall_s": wall,
        "mean_latency_s": statistics.fmean(latency_all) if latency_all else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--alarms", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument("--digest-window", type=int, default=60)
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--only", choices=["on", "off"])
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unms.settings")
    os.environ.setdefault("UNMS_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    modes = {"on": [True], "off": [False]}.get(args.only or "", [True, False])
    print(
        f"{args.alarms} alarms over {args.seconds:.0f} s, {UPS_COUNT} UPSs, {RECIPIENTS} "
        f"recipients, tick {args.tick} s, digest window {args.digest_window} s"
    )
    for storm in modes:
        r = run(args, storm)
        print(
            f"storm control {'on ' if storm else 'off'}: {r['notifications']} notifications "
            f"({r['sent']} sent, {r['failed']} failed) in {r['messages']} e-mails; latency "
            f"p50 {r['p50_s']:.2f} s p99 {r['p99_s']:.2f} s (critical p50 "
            f"{r['critical_p50_s']:.2f} s p99 {r['critical_p99_s']:.2f} s); notifier "
            f"{r['queries']} queries = {r['queries_per_notification']:.2f}/notification, "
            f"{r['queries_per_message']:.1f}/e-mail; "
            f"notifier busy {r['notifier_cpu_wall_s']:.1f} s "
            f"of {r['wall_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
