"""The receiver's small parts with a controllable clock: source map, re-poll throttle, log."""

from __future__ import annotations

import logging

import pytest

from monitoring.traps.directory import SourceDirectory, canonical_address
from monitoring.traps.pipeline import RepollThrottle
from monitoring.traps.receiver import ReceiverConfig, TrapReceiver, parse_bind
from monitoring.traps.stats import RateLimitedLog, udp_rcvbuf_errors


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Row = tuple[int, str, int, str, str, bool]


def directory(rows: list[Row], clock: Clock) -> tuple[SourceDirectory, list[int]]:
    loads: list[int] = []

    def load() -> list[Row]:
        loads.append(1)
        return rows

    return SourceDirectory(load=load, clock=clock, resolve=lambda host: ["127.0.0.50"]), loads


def test_match_by_address_and_community() -> None:
    clock = Clock()
    rows: list[Row] = [(1, "127.0.0.5", 161, "", "public", True)]
    d, _ = directory(rows, clock)
    d.refresh()
    assert d.match("127.0.0.5", 40000, b"public").community_ok
    wrong = d.match("127.0.0.5", 40000, b"publik")
    assert wrong.source is not None
    assert wrong.source.ups_id == 1
    assert not wrong.community_ok
    assert d.match("127.0.0.6", 40000, b"public").source is None


def test_trap_community_wins_over_the_read_one() -> None:
    clock = Clock()
    d, _ = directory([(1, "127.0.0.5", 161, "traps", "public", True)], clock)
    d.refresh()
    assert not d.match("127.0.0.5", 1, b"public").community_ok
    assert d.match("127.0.0.5", 1, b"traps").community_ok


def test_shared_address_prefers_the_source_port_then_the_community() -> None:
    clock = Clock()
    rows: list[Row] = [
        (1, "127.0.0.1", 1161, "", "a", True),
        (2, "127.0.0.1", 1162, "", "b", True),
    ]
    d, _ = directory(rows, clock)
    d.refresh()
    assert d.match("127.0.0.1", 1162, b"b").source.ups_id == 2  # type: ignore[union-attr]
    assert d.match("127.0.0.1", 5555, b"a").source.ups_id == 1  # type: ignore[union-attr]
    # Wrong community everywhere: reported against the port's UPS.
    assert d.match("127.0.0.1", 1162, b"x").source.ups_id == 2  # type: ignore[union-attr]


def test_a_miss_reloads_at_most_once_per_second() -> None:
    clock = Clock()
    rows: list[Row] = []
    d, loads = directory(rows, clock)
    d.refresh()
    for _ in range(1000):  # a flood from an unknown address
        d.match("127.0.0.9", 1, b"public")
    assert len(loads) == 1
    rows.append((7, "127.0.0.9", 161, "", "public", True))  # the UPS is added
    clock.now += 1.0
    assert d.match("127.0.0.9", 1, b"public").community_ok
    assert len(loads) == 2


def test_periodic_refresh_and_dns_names() -> None:
    clock = Clock()
    rows: list[Row] = [(3, "ups3.example", 161, "", "public", True)]
    d, loads = directory(rows, clock)
    d.refresh()
    assert d.match("127.0.0.50", 1, b"public").community_ok
    d.maybe_refresh()
    assert len(loads) == 1
    clock.now += 10
    d.maybe_refresh()
    assert len(loads) == 2


def test_a_failing_reload_keeps_the_old_map() -> None:
    clock = Clock()
    state = {"fail": False}

    def load() -> list[Row]:
        if state["fail"]:
            raise RuntimeError("database down")
        return [(1, "127.0.0.5", 161, "", "public", True)]

    d = SourceDirectory(load=load, clock=clock)
    d.refresh()
    state["fail"] = True
    clock.now += 60
    d.refresh()
    assert d.match("127.0.0.5", 1, b"public").community_ok


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("::ffff:127.0.0.7", "127.0.0.7"), ("127.0.0.7", "127.0.0.7"), ("::1", "::1")],
)
def test_canonical_address(raw: str, expected: str) -> None:
    assert canonical_address(raw) == expected


def test_repoll_throttle_never_forgets_the_last_trap() -> None:
    clock = Clock()
    throttle = RepollThrottle(1.0, clock)
    throttle.want([1, 2])
    assert throttle.due() == [1, 2]
    throttle.want([1])  # another trap within the second
    assert throttle.due() == []
    clock.now += 0.5
    assert throttle.due() == []
    clock.now += 0.5
    assert throttle.due() == [1]  # asked for once the interval has passed
    assert throttle.due() == []


def test_rate_limited_log(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limited = RateLimitedLog(logging.getLogger("t"), 60.0, clock)
    with caplog.at_level(logging.WARNING):
        for _ in range(100):
            limited.warning("a", "from %s", "a")
        limited.warning("b", "from %s", "b")
        clock.now += 60
        limited.warning("a", "from %s", "a")
    assert [r.getMessage() for r in caplog.records] == [
        "from a",
        "from b",
        "from a (99 similar suppressed)",
    ]


def test_queue_overflow_is_counted_not_fatal() -> None:
    receiver = TrapReceiver(ReceiverConfig(queue_max=10))
    for n in range(25):
        receiver.datagram_received(b"x%d" % n, ("127.0.0.1", 5000))
    assert len(receiver.queue) == 10
    assert receiver.counters.received == 25
    assert receiver.counters.dropped == 15


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.0.0.0:162", ("0.0.0.0", 162)),
        ("[::]:1162", ("::", 1162)),
        ("127.0.0.1:0", ("127.0.0.1", 0)),
    ],
)
def test_parse_bind(text: str, expected: tuple[str, int]) -> None:
    assert parse_bind(text) == expected


@pytest.mark.parametrize("text", ["162", ":162", "host:port", "127.0.0.1:70000"])
def test_parse_bind_rejects(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        parse_bind(text)


def test_kernel_counter_is_readable_on_linux() -> None:
    value = udp_rcvbuf_errors()
    assert value is None or value >= 0
