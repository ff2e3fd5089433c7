"""Loopback-only control interface: one text command per line, one JSON line back.

Commands (``help`` lists them)::

    list                          every UPS with scenario, source, charge, alarms
    status NAME                   one UPS, with its counters
    scenario NAME|all SCENARIO    switch scenario now
    quirks NAME|all q1,q2|none    replace the quirk set
    trap NAME|all KIND            send a trap now (on_battery, test_completed, ...)
    speed FACTOR                  time acceleration
    scenarios | quirks | help

Replies: ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``; a bad command never
takes the simulator down.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import TYPE_CHECKING, Any

from simulator.fleet import QUIRKS, require_loopback
from simulator.model import SCENARIOS
from simulator.traps import TRAP_KINDS

if TYPE_CHECKING:
    from simulator.runtime import Simulator

DEFAULT_CONTROL = "127.0.0.1:1199"
MAX_LINE = 4096

HELP = {
    "list": "list",
    "status": "status NAME",
    "scenario": "scenario NAME|all SCENARIO",
    "quirks": "quirks [NAME|all q1,q2|none]",
    "trap": "trap NAME|all " + "|".join(TRAP_KINDS),
    "speed": "speed FACTOR",
    "scenarios": "scenarios",
    "help": "help",
}


def execute(sim: Simulator, line: str) -> dict[str, Any]:
    """Run one command line against the simulator; always returns a reply dict."""
    words = line.split()
    if not words:
        return {"ok": False, "error": "empty command; try 'help'"}
    command, args = words[0].lower(), words[1:]
    try:
        return {"ok": True, **_dispatch(sim, command, args)}
    except (KeyError, ValueError, TypeError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        return {"ok": False, "error": str(message)}


def _need(args: list[str], count: int, usage: str) -> None:
    if len(args) != count:
        raise ValueError(f"usage: {usage}")


def _dispatch(sim: Simulator, command: str, args: list[str]) -> dict[str, Any]:
    if command == "help":
        return {"commands": list(HELP.values())}
    if command == "list":
        _need(args, 0, HELP["list"])
        return {"ups": sim.status()}
    if command == "status":
        _need(args, 1, HELP["status"])
        return {"ups": sim.status(args[0])}
    if command == "scenarios":
        return {"scenarios": {s.name: s.description for s in SCENARIOS.values()}}
    if command == "scenario":
        _need(args, 2, HELP["scenario"])
        sim.set_scenario(args[0], args[1])
        return {"ups": args[0], "scenario": args[1]}
    if command == "quirks":
        if not args:
            return {"quirks": QUIRKS}
        _need(args, 2, HELP["quirks"])
        quirks = [] if args[1] == "none" else [q for q in args[1].split(",") if q]
        sim.set_quirks(args[0], quirks)
        return {"ups": args[0], "quirks": quirks}
    if command == "trap":
        _need(args, 2, HELP["trap"])
        sent = sim.send_trap(args[0], args[1])
        return {"ups": args[0], "trap": args[1], "sent": sent}
    if command == "speed":
        _need(args, 1, HELP["speed"])
        try:
            speed = float(args[0])
        except ValueError:
            raise ValueError(f"speed must be a number, got {args[0]!r}") from None
        sim.set_speed(speed)
        return {"speed": sim.speed}
    raise ValueError(f"unknown command {command!r}; try 'help'")


async def start_control_server(sim: Simulator, host: str, port: int) -> asyncio.Server:
    """Serve `execute` on host:port; host must be loopback."""
    require_loopback(host)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    raw = await reader.readline()
                except (ValueError, asyncio.LimitOverrunError):
                    reply: dict[str, Any] = {"ok": False, "error": "line too long"}
                    writer.write(json.dumps(reply).encode() + b"\n")
                    break
                if not raw:
                    break
                line = raw.decode("utf-8", "replace").strip()
                if line in ("quit", "exit"):
                    break
                reply = execute(sim, line)
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port, limit=MAX_LINE)


def send_command(line: str, address: str = DEFAULT_CONTROL, timeout: float = 5.0) -> dict[str, Any]:
    """Synchronous client for the CLI and tests: send one line, return the JSON reply."""
    host, port = address.rsplit(":", 1)
    require_loopback(host)
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        conn.sendall(line.strip().encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    if not data:
        return {"ok": False, "error": "no reply from the simulator"}
    return json.loads(data)
