"""The simulator process: every UPS agent in one asyncio loop, a ticker, the control server.

`Simulator` is the async API (tests, CLI); `SimulatorThread` runs one in a background
thread with its own event loop for synchronous tests and benches.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from simulator.agent import SimulatedUps
from simulator.fleet import QUIRKS, UpsSpec, parse_endpoint
from simulator.model import SCENARIOS
from simulator.traps import TRAP_KINDS

T = TypeVar("T")

DEFAULT_RCVBUF = 4 << 20  # bursts from a poller with many requests in flight must not drop
REFRESH_BATCH = 200  # UPSs stepped between yields, so a big fleet never stalls answers


def _same(ups: SimulatedUps) -> SimulatedUps:
    return ups  # the protocol factory: each endpoint is served by its own UPS object


class Simulator:
    """Many simulated UPSs served from one event loop.

    ``speed`` multiplies simulated time (physics, scenario timers); sysUpTime and the
    on-battery trap repetition stay in real time, like a real card.
    """

    def __init__(
        self,
        fleet: Sequence[UpsSpec],
        *,
        speed: float = 1.0,
        tick_s: float = 1.0,
        trap_repeat_s: float = 60.0,
        control: str | tuple[str, int] | None = None,
        rcvbuf: int = DEFAULT_RCVBUF,
    ) -> None:
        names = [spec.name for spec in fleet]
        if len(set(names)) != len(names):
            raise ValueError("UPS names must be unique")
        self.speed = float(speed)
        self.tick_s = float(tick_s)
        self.trap_repeat_s = float(trap_repeat_s)
        self.rcvbuf = rcvbuf
        self.control_address = parse_endpoint(control) if isinstance(control, str) else control
        self.control_bound: tuple[str, int] | None = None
        self._started = time.monotonic()
        self.ups: dict[str, SimulatedUps] = {
            spec.name: SimulatedUps(spec, self.uptime_ticks) for spec in fleet
        }
        self._tasks: list[asyncio.Task[None]] = []
        self._control_server: asyncio.Server | None = None
        self._fallbacks: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    def uptime_ticks(self) -> int:
        return int((time.monotonic() - self._started) * 100)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        next_fallback_port = max((u.spec.port for u in self.ups.values()), default=1160) + 1
        for ups in self.ups.values():
            sock, next_fallback_port = self._bind(ups, next_fallback_port)
            await loop.create_datagram_endpoint(functools.partial(_same, ups), sock=sock)
        self._tasks.append(asyncio.create_task(self._ticker(), name="simulator-ticker"))
        if self.control_address is not None:
            from simulator.control import start_control_server

            self._control_server = await start_control_server(self, *self.control_address)
            self.control_bound = self._control_server.sockets[0].getsockname()[:2]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._control_server is not None:
            self._control_server.close()
            await self._control_server.wait_closed()
            self._control_server = None
        for ups in self.ups.values():
            if ups.transport is not None:
                ups.transport.close()
                ups.transport = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _bind(self, ups: SimulatedUps, fallback_port: int) -> tuple[socket.socket, int]:
        """Own address first; if it cannot be bound, 127.0.0.1 with the next free port."""
        sock = self._socket()
        try:
            sock.bind((ups.spec.address, ups.spec.port))
        except OSError:
            sock.close()
            # Port 0 asks for "any free port": the fallback then takes any free port too.
            first = 0 if ups.spec.port == 0 else fallback_port
            last = 1 if ups.spec.port == 0 else min(fallback_port + 2000, 65536)
            for port in range(first, last):
                sock = self._socket()
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    sock.close()
                    continue
                self._fallbacks.append(ups.spec.name)
                fallback_port = max(fallback_port, sock.getsockname()[1] + 1)
                break
            else:
                raise OSError(f"cannot bind {ups.spec.name} anywhere on loopback") from None
        ups.bound = sock.getsockname()[:2]
        return sock, fallback_port

    def _socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        force = getattr(socket, "SO_RCVBUFFORCE", None)
        if force is not None:  # as root, go past net.core.rmem_max
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, force, self.rcvbuf)
        sock.setblocking(False)
        return sock

    async def _ticker(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(self.tick_s)
            now = loop.time()
            elapsed, last = now - last, now
            for count, ups in enumerate(list(self.ups.values()), start=1):
                self._step(ups, elapsed * self.speed, now)
                if count % REFRESH_BATCH == 0:
                    await asyncio.sleep(0)

    def _step(self, ups: SimulatedUps, sim_seconds: float, now: float) -> None:
        events = ups.model.step(sim_seconds, self.uptime_ticks())
        ups.mark_stale()
        if not ups.model.answers:  # a dead card sends no traps either
            return
        ups.send_events(events)
        if ups.model.on_battery and now - ups.last_on_battery_trap >= self.trap_repeat_s:
            ups.send_trap("on_battery")  # RFC 1628: repeated about every minute

    # ------------------------------------------------------------------ control
    @property
    def names(self) -> list[str]:
        return list(self.ups)

    @property
    def fallbacks(self) -> list[str]:
        """UPSs that could not bind their own address and sit on 127.0.0.1:<port>."""
        return list(self._fallbacks)

    def _select(self, name: str) -> list[SimulatedUps]:
        if name in ("all", "*"):
            return list(self.ups.values())
        if name not in self.ups:
            raise KeyError(f"no UPS named {name!r}")
        return [self.ups[name]]

    def endpoint(self, name: str) -> tuple[str, int]:
        """Where the UPS actually listens (its own address, or the fallback)."""
        return self._select(name)[0].bound

    def set_scenario(self, name: str, scenario: str) -> None:
        """Switch one UPS (or ``"all"``) to a scenario now; values and traps follow at once."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
        for ups in self._select(name):
            was_answering = ups.model.answers
            events = ups.model.set_scenario(scenario, self.uptime_ticks())
            ups.refresh()
            if ups.model.answers and was_answering and ups.transport is not None:
                ups.send_events(events)

    def set_quirks(self, name: str, quirks: Iterable[str]) -> None:
        wanted = set(quirks)
        if unknown := wanted - set(QUIRKS):
            raise ValueError(f"unknown quirks {sorted(unknown)}; known: {', '.join(QUIRKS)}")
        for ups in self._select(name):
            ups.set_quirks(wanted)

    def send_trap(self, name: str, kind: str) -> int:
        """Send a trap now; returns how many were sent (UPSs without a trap target skip)."""
        if kind not in TRAP_KINDS:
            raise ValueError(f"unknown trap {kind!r}; known: {', '.join(TRAP_KINDS)}")
        return sum(ups.send_trap(kind) for ups in self._select(name))

    def set_speed(self, speed: float) -> None:
        if not 0 < speed <= 100_000:
            raise ValueError("speed must be in (0, 100000]")
        self.speed = float(speed)

    def status(self, name: str = "all") -> list[dict[str, Any]]:
        return [self._status(ups) for ups in self._select(name)]

    def _status(self, ups: SimulatedUps) -> dict[str, Any]:
        m = ups.model
        return {
            "name": ups.spec.name,
            "address": ups.bound[0],
            "port": ups.bound[1],
            "model": ups.spec.model,
            "scenario": m.scenario.name,
            "quirks": sorted(ups.quirks),
            "source": m.output_source,
            "on_battery": m.on_battery,
            "charge_pct": round(m.charge_pct, 1),
            "runtime_min": round(m.runtime_min, 1),
            "load_pct": round(m.load_pct, 1),
            "alarms": sorted(m.alarms),
            "trap_target": ups.spec.trap_target,
            "stats": ups.stats.as_dict(),
        }


class SimulatorThread:
    """Run a `Simulator` in a background thread (own loop) for synchronous code::

    with SimulatorThread(make_fleet(3, "127.0.55.2")) as sim:
        sim.set_scenario("UPS-001", "mains_failure")
    """

    def __init__(self, fleet: Sequence[UpsSpec], **options: Any) -> None:
        self._fleet = fleet
        self._options = options
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.simulator: Simulator | None = None

    def __enter__(self) -> SimulatorThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> None:
        ready: Future[None] = Future()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                self.simulator = Simulator(self._fleet, **self._options)
                self._loop.run_until_complete(self.simulator.start())
            except BaseException as exc:  # report start failures to the caller
                ready.set_exception(exc)
                return
            ready.set_result(None)
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="ups-simulator", daemon=True)
        self._thread.start()
        try:
            ready.result(timeout)
        except BaseException:
            self._thread.join(timeout)
            self._loop.close()
            raise

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._thread is None or self.simulator is None:
            return
        sim = self.simulator
        asyncio.run_coroutine_threadsafe(sim.stop(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop.close()
        self._loop = self._thread = None

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the simulator's loop thread and return its result."""
        assert self._loop is not None, "not started"

        async def invoke() -> T:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(invoke(), self._loop).result(10)

    def _sim(self) -> Simulator:
        assert self.simulator is not None, "not started"
        return self.simulator

    def endpoint(self, name: str) -> tuple[str, int]:
        return self._sim().endpoint(name)

    def set_scenario(self, name: str, scenario: str) -> None:
        self.call(self._sim().set_scenario, name, scenario)

    def set_quirks(self, name: str, quirks: Iterable[str]) -> None:
        self.call(self._sim().set_quirks, name, list(quirks))

    def send_trap(self, name: str, kind: str) -> int:
        return self.call(self._sim().send_trap, name, kind)

    def set_speed(self, speed: float) -> None:
        self.call(self._sim().set_speed, speed)

    def status(self, name: str = "all") -> list[dict[str, Any]]:
        return self.call(self._sim().status, name)
