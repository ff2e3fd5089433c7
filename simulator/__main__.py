"""Command line: ``python -m simulator run|ctl|bench``.

python -m simulator run --count 30 [--fleet FILE.json] [--port 1161]
    [--control 127.0.0.1:1199] [--trap-target 127.0.0.1:1162] [--speed 10]
python -m simulator ctl list
python -m simulator ctl scenario UPS-003 mains_failure
python -m simulator ctl trap UPS-003 on_battery
python -m simulator bench --target 127.0.0.2:1161 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys

from simulator.control import DEFAULT_CONTROL, send_command
from simulator.fleet import (
    DEFAULT_BASE_ADDRESS,
    DEFAULT_PORT,
    QUIRKS,
    load_fleet,
    make_fleet,
    parse_endpoint,
    save_fleet,
)
from simulator.model import SCENARIOS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="serve a fleet of simulated UPSs")
    run.add_argument("--count", type=int, default=30, help="UPSs to generate (default 30)")
    run.add_argument("--fleet", help="fleet JSON file (overrides --count)")
    run.add_argument("--base-address", default=DEFAULT_BASE_ADDRESS)
    run.add_argument("--port", type=int, default=DEFAULT_PORT)
    run.add_argument("--community", default="public")
    run.add_argument("--control", default=DEFAULT_CONTROL, help="loopback host:port, or 'off'")
    run.add_argument("--trap-target", help="loopback host:port receiving traps")
    run.add_argument("--trap-version", choices=["1", "2c"], default="2c")
    run.add_argument("--trap-oid-form", choices=["plain", "zero"], default="plain")
    run.add_argument("--speed", type=float, default=1.0, help="time acceleration factor")
    run.add_argument("--tick", type=float, default=1.0, help="seconds between value refreshes")
    run.add_argument("--trap-repeat", type=float, default=60.0, help="on-battery trap repeat (s)")
    run.add_argument("--scenario", default="normal", choices=sorted(SCENARIOS))
    run.add_argument("--quirks", default="", help=f"comma list of {','.join(QUIRKS)}")
    run.add_argument("--write-fleet", help="write the generated fleet to this JSON file")

    ctl = sub.add_parser("ctl", help="send one command to a running simulator")
    ctl.add_argument("--control", default=DEFAULT_CONTROL)
    ctl.add_argument("words", nargs="+", help="e.g. list | scenario UPS-003 mains_failure")

    bench = sub.add_parser("bench", help="measure answers per second")
    bench.add_argument("--target", action="append", required=True, help="host:port (repeatable)")
    bench.add_argument("--seconds", type=float, default=5.0)
    bench.add_argument("--inflight", type=int, default=32)
    bench.add_argument("--kind", choices=["bulk", "get"], default="bulk")
    bench.add_argument("--community", default="public")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    from simulator.runtime import Simulator

    if args.fleet:
        fleet = load_fleet(args.fleet)
    else:
        fleet = make_fleet(
            args.count,
            args.base_address,
            port=args.port,
            community=args.community,
            quirks=[q for q in args.quirks.split(",") if q],
            scenario=args.scenario,
            trap_target=args.trap_target,
            trap_version=args.trap_version,
            trap_oid_form=args.trap_oid_form,
        )
    if args.write_fleet:
        save_fleet(fleet, args.write_fleet)
    control = None if args.control == "off" else args.control
    sim = Simulator(
        fleet, speed=args.speed, tick_s=args.tick, trap_repeat_s=args.trap_repeat, control=control
    )
    await sim.start()
    first, last = sim.endpoint(fleet[0].name), sim.endpoint(fleet[-1].name)
    print(
        f"simulating {len(fleet)} UPSs: {fleet[0].name} at {first[0]}:{first[1]} ... "
        f"{fleet[-1].name} at {last[0]}:{last[1]}; control {sim.control_bound}",
        flush=True,
    )
    if sim.fallbacks:
        print(f"{len(sim.fallbacks)} UPSs fell back to 127.0.0.1 ports", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            asyncio.run(_serve(args))
            return 0
        if args.command == "ctl":
            reply = send_command(" ".join(args.words), args.control)
            print(json.dumps(reply, indent=2))
            return 0 if reply.get("ok") else 1
        from simulator.bench import run_bench

        targets = [parse_endpoint(t, DEFAULT_PORT) for t in args.target]
        result = run_bench(targets, args.seconds, args.inflight, args.community, args.kind)
        print(json.dumps(result, indent=2))
        return 0
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
