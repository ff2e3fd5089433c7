"""UPS physics and scenarios.

A `UpsModel` holds the electrical state of one simulated UPS and advances it in
*simulated* seconds (real seconds x speed factor), so a demo can watch a mains failure
reach low battery in a couple of minutes. Scenarios are rows of a data table
(`SCENARIOS`); the physics derives everything else (on battery → OnBattery alarm,
runtime under the low-battery time → LowBattery, empty → DepletedBattery), so alarms
stay consistent with the numbers a poller reads.

No SNMP here: `simulator.mib` turns a model into UPS-MIB values.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field

# upsOutputSource (RFC 1628)
SOURCE_NONE = 2
SOURCE_NORMAL = 3
SOURCE_BYPASS = 4
SOURCE_BATTERY = 5

# upsBatteryStatus
BATTERY_NORMAL = 2
BATTERY_LOW = 3
BATTERY_DEPLETED = 4

# upsTestResultsSummary
TEST_DONE_PASS = 1
TEST_DONE_ERROR = 3
TEST_IN_PROGRESS = 5
TEST_NONE = 6

# Well-known alarm numbers: upsAlarmDescr = 1.3.6.1.2.1.33.1.6.3.<n>
ALARM_BATTERY_BAD = 1
ALARM_ON_BATTERY = 2
ALARM_LOW_BATTERY = 3
ALARM_DEPLETED_BATTERY = 4
ALARM_OUTPUT_OVERLOAD = 8
ALARM_ON_BYPASS = 9
ALARM_GENERAL_FAULT = 18
ALARM_DIAGNOSTIC_TEST_FAILED = 19
ALARM_TEST_IN_PROGRESS = 24


@dataclass(frozen=True, slots=True)
class TestPhase:
    """One step of a self-test: how long it lasts and whether the UPS runs on battery."""

    seconds: float
    on_battery: bool


@dataclass(frozen=True, slots=True)
class Scenario:
    """One row of the scenario table. Unset fields mean "let the physics decide"."""

    name: str
    description: str
    mains: bool = True  # input power present
    bypass: bool = False  # output fed from bypass
    load_range: tuple[float, float] | None = None  # % of rated power, overrides the wander
    alarms: frozenset[int] = frozenset()  # alarms held while active (beyond derived ones)
    answers: bool = True  # False: the agent goes silent (communication loss)
    charge_on_entry: float | None = None  # jump the battery charge (%) when entered
    test_phases: tuple[TestPhase, ...] = ()  # a self-test run by this scenario
    test_result: int | None = None  # upsTestResultsSummary when the phases end
    then: str | None = None  # scenario entered when the phases (or `duration`) end
    duration: float | None = None  # simulated seconds before `then`


_SELF_TEST = (TestPhase(5.0, on_battery=False), TestPhase(10.0, on_battery=True))

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("normal", "on mains, battery charging or full"),
        Scenario("mains_failure", "input lost: on battery until low, then depleted", mains=False),
        Scenario(
            "mains_return",
            "input back: recharging, normal after 5 min",
            then="normal",
            duration=300,
        ),
        Scenario(
            "overload",
            "load above 100 %: OutputOverload",
            load_range=(105.0, 120.0),
            alarms=frozenset({ALARM_OUTPUT_OVERLOAD}),
        ),
        Scenario("bypass", "output on bypass: OnBypass", bypass=True),
        Scenario("battery_bad", "battery needs replacing: BatteryBad", alarms=frozenset({1})),
        Scenario("fault", "internal fault: GeneralFault", alarms=frozenset({18})),
        Scenario(
            "self_test",
            "self-test: TestInProgress, briefly on battery, donePass",
            test_phases=_SELF_TEST,
            test_result=TEST_DONE_PASS,
            then="normal",
        ),
        Scenario(
            "self_test_fail",
            "self-test ending doneError + DiagnosticTestFailed",
            test_phases=_SELF_TEST,
            test_result=TEST_DONE_ERROR,
            then="normal",
        ),
        Scenario("comm_loss", "the agent stops answering entirely", answers=False),
        Scenario(
            "low_battery",
            "straight to on battery with a low runtime",
            mains=False,
            charge_on_entry=6.0,
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Rating:
    """Nameplate of a model family. Runtime at full load scales with load^1.2 (Peukert-ish)."""

    phases: int
    va: int
    watts: int
    battery_volts: float  # nominal DC bus when floating
    full_load_runtime_min: float
    manufacturer: str
    model: str


RATINGS: dict[str, Rating] = {
    "single": Rating(1, 3000, 2700, 54.0, 5.0, "UNMS Simulated Power", "SIM-3000 1ph"),
    "three": Rating(3, 20000, 18000, 240.0, 6.0, "UNMS Simulated Power", "SIM-20K 3ph"),
}

NOMINAL_VOLTS = 230
NOMINAL_HZ = 50
LOW_BATTERY_MIN = 2  # upsConfigLowBattTime
RECHARGE_PCT_PER_S = 100.0 / 3600.0  # full recharge in one simulated hour


@dataclass(slots=True)
class AlarmEntry:
    alarm_id: int  # upsAlarmId: stable while present, never reused soon
    descr: int  # well-known alarm number n of 1.3.6.1.2.1.33.1.6.3.n
    time_ticks: int  # sysUpTime when raised


@dataclass(frozen=True, slots=True)
class Event:
    """Something a trap should tell: alarm_added / alarm_removed / test_completed / on_battery."""

    kind: str
    alarm: AlarmEntry | None = None


@dataclass(slots=True)
class UpsModel:
    """The state of one UPS; `step` advances it, `set_scenario` switches behaviour."""

    name: str
    rating: Rating
    seed: int = 0
    scenario: Scenario = SCENARIOS["normal"]
    scenario_elapsed: float = 0.0
    load_pct: float = 35.0
    load_target: float = 35.0
    charge_pct: float = 100.0
    seconds_on_battery: float = 0.0
    battery_temp_c: float = 25.0
    input_volts: float = float(NOMINAL_VOLTS)
    input_hz: float = float(NOMINAL_HZ)
    input_line_bads: int = 0
    alarms: dict[int, AlarmEntry] = field(default_factory=dict)  # by descr number
    next_alarm_id: int = 1
    test_id: int = 1  # n of the well-known test OID 1.3.6.1.2.1.33.1.7.7.n
    test_spinlock: int = 0
    test_summary: int = TEST_NONE
    test_detail: str = ""
    test_start_ticks: int = 0
    test_elapsed_s: float = 0.0
    test_failed: bool = False
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def create(cls, name: str, model: str = "single", scenario: str = "normal") -> UpsModel:
        seed = zlib.crc32(name.encode())  # stable per name: the same fleet looks the same
        ups = cls(name=name, rating=RATINGS[model], seed=seed, rng=random.Random(seed))
        ups.load_pct = ups.load_target = ups.base_load
        ups.set_scenario(scenario, uptime_ticks=0)
        ups.update_alarms(0)  # initial alarms are "already there", no events wanted
        return ups

    # ----------------------------------------------------------------- derived values
    @property
    def answers(self) -> bool:
        return self.scenario.answers

    @property
    def in_test(self) -> bool:
        return bool(self.scenario.test_phases) and self.test_summary == TEST_IN_PROGRESS

    @property
    def test_on_battery(self) -> bool:
        if not self.in_test:
            return False
        t = self.scenario_elapsed
        for phase in self.scenario.test_phases:
            if t < phase.seconds:
                return phase.on_battery
            t -= phase.seconds
        return False

    @property
    def mains_ok(self) -> bool:
        return self.scenario.mains

    @property
    def depleted(self) -> bool:
        return self.charge_pct <= 0.0

    @property
    def on_battery(self) -> bool:
        # Stays true when depleted: the UPS is still "on battery", just with no output.
        return not self.mains_ok or self.test_on_battery

    @property
    def output_source(self) -> int:
        if self.scenario.bypass:
            return SOURCE_BYPASS
        if not self.mains_ok and self.depleted:
            return SOURCE_NONE
        return SOURCE_BATTERY if self.on_battery else SOURCE_NORMAL

    @property
    def output_load_pct(self) -> float:
        return 0.0 if self.output_source == SOURCE_NONE else self.load_pct

    @property
    def runtime_min(self) -> float:
        """Estimated minutes remaining at the present load and charge."""
        load = max(self.output_load_pct, 5.0)
        full = self.rating.full_load_runtime_min * (100.0 / load) ** 1.2
        return max(0.0, full * self.charge_pct / 100.0)

    @property
    def battery_status(self) -> int:
        if self.depleted:
            return BATTERY_DEPLETED
        if self.on_battery and self.runtime_min < LOW_BATTERY_MIN:
            return BATTERY_LOW
        return BATTERY_NORMAL

    @property
    def battery_volts(self) -> float:
        # Floating at nominal on mains; sags with charge on battery (≈ 1.75 V/cell at empty).
        nominal = self.rating.battery_volts
        if not self.on_battery:
            return nominal * (0.93 + 0.07 * self.charge_pct / 100.0)
        return nominal * (0.80 + 0.12 * self.charge_pct / 100.0)

    @property
    def battery_amps(self) -> float:
        """Positive while discharging, small negative while recharging."""
        if self.on_battery:
            return self.rating.watts * self.output_load_pct / 100.0 / self.battery_volts
        return -2.0 if self.charge_pct < 100.0 else 0.0

    def wanted_alarms(self) -> set[int]:
        wanted = set(self.scenario.alarms)
        if self.on_battery:
            wanted.add(ALARM_ON_BATTERY)
        if self.battery_status == BATTERY_LOW:
            wanted.add(ALARM_LOW_BATTERY)
        if self.depleted:
            wanted.add(ALARM_DEPLETED_BATTERY)
        if self.scenario.bypass:
            wanted.add(ALARM_ON_BYPASS)
        if self.load_pct > 100.0:
            wanted.add(ALARM_OUTPUT_OVERLOAD)
        if self.in_test:
            wanted.add(ALARM_TEST_IN_PROGRESS)
        if self.test_failed:
            wanted.add(ALARM_DIAGNOSTIC_TEST_FAILED)
        return wanted

    # ----------------------------------------------------------------- transitions
    def set_scenario(self, name: str, uptime_ticks: int) -> list[Event]:
        """Switch scenario now; returns the trap-worthy events of the switch."""
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        was_on_battery = self.on_battery
        self.scenario = SCENARIOS[name]
        self.scenario_elapsed = 0.0
        if self.scenario.charge_on_entry is not None:
            self.charge_pct = self.scenario.charge_on_entry
        if self.scenario.load_range is not None:
            self.load_pct = self.load_target = sum(self.scenario.load_range) / 2
        elif self.load_pct > 95.0:
            self.load_pct = self.load_target = self.base_load
        if self.scenario.mains and self.charge_pct <= 0.0:
            self.charge_pct = 1.0  # mains back: the charger starts at once
        if self.scenario.test_phases:
            self.test_summary = TEST_IN_PROGRESS
            self.test_detail = "test in progress"
            self.test_start_ticks = uptime_ticks
            self.test_elapsed_s = 0.0
        elif self.test_summary == TEST_IN_PROGRESS:
            self.test_summary = 4  # aborted: another scenario interrupted the test
            self.test_detail = "aborted"
        if not self.mains_ok:
            self.input_line_bads += 1
            self.input_volts = self.input_hz = 0.0
        elif self.input_volts == 0.0:
            self.input_volts, self.input_hz = float(NOMINAL_VOLTS), float(NOMINAL_HZ)
        if not self.on_battery:
            self.seconds_on_battery = 0.0
        events = self.update_alarms(uptime_ticks)
        if self.on_battery and not was_on_battery:
            events.append(Event("on_battery"))
        return events

    def step(self, seconds: float, uptime_ticks: int) -> list[Event]:
        """Advance `seconds` of simulated time."""
        events: list[Event] = []
        was_on_battery = self.on_battery
        self.scenario_elapsed += seconds
        self._wander(seconds)
        if self.on_battery:
            self.seconds_on_battery += seconds
            # Drain so that charge hits zero exactly when the estimated runtime runs out.
            full_runtime_s = self.runtime_min * 60.0 / max(self.charge_pct / 100.0, 1e-6)
            self.charge_pct = max(0.0, self.charge_pct - 100.0 * seconds / full_runtime_s)
        else:
            self.seconds_on_battery = 0.0
            if self.mains_ok:
                self.charge_pct = min(100.0, self.charge_pct + RECHARGE_PCT_PER_S * seconds)
        events.extend(self._advance_test(uptime_ticks))
        sc = self.scenario
        timed_out = sc.duration is not None and self.scenario_elapsed >= sc.duration
        if sc.then and not sc.test_phases and timed_out:
            events.extend(self.set_scenario(sc.then, uptime_ticks))
        events.extend(self.update_alarms(uptime_ticks))
        if self.on_battery and not was_on_battery:
            events.append(Event("on_battery"))
        return events

    def start_test(self, test_id: int, uptime_ticks: int) -> list[Event]:
        """A SET of upsTestId: run the self-test scenario."""
        self.test_id = test_id
        return self.set_scenario("self_test", uptime_ticks)

    def _advance_test(self, uptime_ticks: int) -> list[Event]:
        sc = self.scenario
        if not sc.test_phases or self.test_summary != TEST_IN_PROGRESS:
            return []
        self.test_elapsed_s = self.scenario_elapsed
        if self.scenario_elapsed < sum(p.seconds for p in sc.test_phases):
            return []
        self.test_summary = sc.test_result or TEST_DONE_PASS
        self.test_failed = self.test_summary == TEST_DONE_ERROR
        self.test_detail = "battery failed the test" if self.test_failed else "passed"
        events = [Event("test_completed")]
        events.extend(self.set_scenario(sc.then or "normal", uptime_ticks))
        return events

    @property
    def base_load(self) -> float:
        return 20.0 + (self.seed % 40)  # each UPS has its own typical load, 20-59 %

    def _wander(self, seconds: float) -> None:
        """Slow mean-reverting walk of load, input voltage and temperature.

        The load only wanders on mains: during an outage it holds, so runtime and charge
        fall monotonically as a poller expects to see.
        """
        rng = self.rng
        base = self.base_load
        low, high = self.scenario.load_range or (max(5.0, base - 10.0), base + 10.0)
        if not self.on_battery:
            if rng.random() < min(1.0, seconds / 600.0) or not low <= self.load_target <= high:
                self.load_target = rng.uniform(low, high)
            k = min(1.0, seconds / 120.0)
            self.load_pct += (self.load_target - self.load_pct) * k
            self.load_pct += rng.uniform(-0.2, 0.2) * min(1.0, seconds)
            self.load_pct = min(max(self.load_pct, low - 1.0), high + 1.0)
        if self.mains_ok:
            self.input_volts = NOMINAL_VOLTS + 3.0 * rng.uniform(-1, 1)
            self.input_hz = NOMINAL_HZ + 0.1 * rng.uniform(-1, 1)
        else:
            self.input_volts = 0.0
            self.input_hz = 0.0
        target_temp = 25.0 + (3.0 if self.on_battery else 0.0)
        self.battery_temp_c += (target_temp - self.battery_temp_c) * min(1.0, seconds / 600.0)

    def update_alarms(self, uptime_ticks: int) -> list[Event]:
        """Reconcile the alarm table with the wanted alarms; report adds and removals."""
        wanted = self.wanted_alarms()
        events: list[Event] = []
        for descr in sorted(set(self.alarms) - wanted):
            events.append(Event("alarm_removed", self.alarms.pop(descr)))
        for descr in sorted(wanted - set(self.alarms)):
            entry = AlarmEntry(self.next_alarm_id, descr, uptime_ticks)
            self.next_alarm_id += 1
            self.alarms[descr] = entry
            events.append(Event("alarm_added", entry))
        return events
