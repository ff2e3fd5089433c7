"""Inventory (regions, sites, UPSs), the current state of each UPS, and its measurements."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from monitoring.choices import BatteryStatus, OutputSource, SnmpVersion, UpsState
from monitoring.fields import EncryptedTextField
from monitoring.validators import validate_host


class Region(models.Model):
    """An optional grouping of sites for larger estates (a region, a division)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    name = models.CharField(max_length=100, unique=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="sites"
    )
    description = models.TextField(blank=True, help_text="Address, access notes, contacts.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ups(models.Model):
    name = models.CharField(max_length=100, unique=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="upses")
    host = models.CharField(
        max_length=253,
        validators=[validate_host],
        help_text="IP address or DNS name of the UPS's network card.",
    )
    port = models.PositiveIntegerField(
        default=161, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    snmp_version = models.CharField(
        max_length=2, choices=SnmpVersion.choices, default=SnmpVersion.V2C
    )
    # Secrets: never rendered in lists, logs, error messages or exports; encrypted at rest
    # (monitoring.fields). No default: "public" would be a default credential.
    community = EncryptedTextField(max_length=255)
    trap_community = EncryptedTextField(
        max_length=255, blank=True, help_text="Community of the card's traps; empty: the read one."
    )
    poll_interval_s = models.PositiveIntegerField(
        "poll interval (s)", default=30, validators=[MinValueValidator(5), MaxValueValidator(3600)]
    )
    enabled = models.BooleanField(default=True)
    profile = models.CharField(
        max_length=50, blank=True, help_text="MIB profile; empty: detect (RFC 1628 for now)."
    )
    profile_overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per-field scale/offset fixes, e.g. {"input.voltage_v": {"scale": 0.1}}.',
    )
    threshold_overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text='Status thresholds that differ from the defaults, e.g. {"load_warning_pct": 70}.',
    )
    notes = models.TextField(blank=True)
    # Nameplate
    model = models.CharField(max_length=100, blank=True)
    serial_number = models.CharField(max_length=100, blank=True)
    rated_va = models.PositiveIntegerField("rated VA", null=True, blank=True)
    installed_on = models.DateField(null=True, blank=True)
    battery_installed_on = models.DateField(null=True, blank=True)
    # Scheduling: a UPS is due when next_poll_at <= now; claiming moves it to the next slot
    # in the same UPDATE, so two workers never poll it for the same slot.
    next_poll_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["site__name", "name"]
        verbose_name = "UPS"
        verbose_name_plural = "UPSs"
        constraints = [
            models.UniqueConstraint(
                fields=["host", "port"],
                name="ups_unique_host_port",
                violation_error_message="Another UPS already uses this host and port.",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_poll_at"],
                name="ups_due_idx",
                condition=models.Q(enabled=True),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("ups-detail", args=[self.pk])

    @property
    def effective_trap_community(self) -> str:
        return self.trap_community or self.community

    def clean(self) -> None:
        from monitoring.profiles import get_profile, validate_overrides
        from monitoring.status import Thresholds

        errors: dict[str, Any] = {}
        for field in ("threshold_overrides", "profile_overrides"):
            if not isinstance(getattr(self, field) or {}, dict):
                errors[field] = "Enter a JSON object, e.g. {}."
        if "threshold_overrides" not in errors:
            try:
                Thresholds.from_overrides(self.threshold_overrides or {})
            except ValueError as exc:
                errors["threshold_overrides"] = str(exc)
        if "profile_overrides" not in errors:
            try:
                validate_overrides(
                    get_profile(self.profile or "rfc1628"), self.profile_overrides or {}
                )
            except (KeyError, ValueError) as exc:
                # KeyError's str() adds quotes around its message.
                errors["profile_overrides"] = exc.args[0] if exc.args else str(exc)
        if errors:
            raise ValidationError(errors)


class UpsStatus(models.Model):
    """The current state of one UPS, denormalised so the fleet page is one query."""

    ups = models.OneToOneField(
        Ups, on_delete=models.CASCADE, primary_key=True, related_name="status"
    )
    state = models.CharField(max_length=10, choices=UpsState.choices, default=UpsState.UNKNOWN)
    # [{"kind": "OnBattery", "severity": "warning", "reason": "on battery for 2 min"}, ...]
    conditions = models.JSONField(default=list, blank=True)
    state_since = models.DateTimeField(default=timezone.now)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    measurement = models.ForeignKey(
        "Measurement", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "UPS statuses"

    def __str__(self) -> str:
        return f"{self.ups}: {self.state}"

    @property
    def state_choice(self) -> UpsState:
        return UpsState(self.state)

    @property
    def reasons(self) -> list[str]:
        return [c["reason"] for c in self.conditions]


class Measurement(models.Model):
    """One row per UPS per poll: the main values as columns, per-line detail as JSON.

    Sized for 150 UPSs x 30 s x 1 year (~160 M rows): the (ups, taken_at) index serves
    "last hour of UPS x" and range scans; PostgreSQL deployments partition by month
    (docs/architecture.md) and rollups come with the trend charts.
    """

    id = models.BigAutoField(primary_key=True)
    ups = models.ForeignKey(
        Ups, on_delete=models.CASCADE, related_name="measurements", db_index=False
    )
    taken_at = models.DateTimeField()
    reachable = models.BooleanField()
    state = models.CharField(max_length=10, choices=UpsState.choices)
    poll_ms = models.FloatField(null=True)
    # NULL is "not reported by the agent", which an empty string would blur.
    battery_status = models.CharField(  # noqa: DJ001
        max_length=10, choices=BatteryStatus.choices, null=True
    )
    seconds_on_battery = models.IntegerField(null=True)
    runtime_remaining_s = models.IntegerField(null=True)
    charge_pct = models.FloatField(null=True)
    battery_voltage_v = models.FloatField(null=True)
    battery_current_a = models.FloatField(null=True)
    battery_temperature_c = models.FloatField(null=True)
    output_source = models.CharField(  # noqa: DJ001
        max_length=10, choices=OutputSource.choices, null=True
    )
    input_frequency_hz = models.FloatField(null=True)
    output_frequency_hz = models.FloatField(null=True)
    # Per-phase columns for the values that trend charts plot per phase.
    input_voltage_l1 = models.FloatField(null=True)
    input_voltage_l2 = models.FloatField(null=True)
    input_voltage_l3 = models.FloatField(null=True)
    output_voltage_l1 = models.FloatField(null=True)
    output_voltage_l2 = models.FloatField(null=True)
    output_voltage_l3 = models.FloatField(null=True)
    load_l1_pct = models.FloatField(null=True)
    load_l2_pct = models.FloatField(null=True)
    load_l3_pct = models.FloatField(null=True)
    load_pct = models.FloatField(null=True, help_text="Most loaded output line.")
    output_power_w = models.FloatField(null=True)
    # {"input": [...], "output": [...], "bypass": [...]}: every line, every value.
    lines = models.JSONField(default=dict)
    alarms = models.JSONField(default=list)

    class Meta:
        indexes = [models.Index(fields=["ups", "taken_at"], name="measurement_ups_time")]
        get_latest_by = "taken_at"

    def __str__(self) -> str:
        return f"{self.ups_id} @ {self.taken_at:%Y-%m-%d %H:%M:%S}"


# Imported here, not at the top, so the trap receiver's addition stays one appended block.
from monitoring.traps.events import TrapKind  # noqa: E402


class Trap(models.Model):
    """Every datagram the trap receiver got: accepted, unknown source, bad community, garbage.

    Written in batches by `manage.py trapd` (one INSERT per batch). The community is never
    stored: a wrong one may be a typo of the real one. A datagram that is not SNMP keeps
    its error text and the start of its bytes (hex), so nothing is silently lost.
    """

    id = models.BigAutoField(primary_key=True)
    received_at = models.DateTimeField(db_index=True)
    source_address = models.GenericIPAddressField(unpack_ipv4=True)
    source_port = models.PositiveIntegerField()
    # Matched by source address; kept (NULL) when the UPS is deleted: the log outlives it.
    ups = models.ForeignKey(
        Ups, null=True, blank=True, on_delete=models.SET_NULL, related_name="traps"
    )
    version = models.CharField(max_length=2, choices=SnmpVersion.choices, blank=True)
    community_ok = models.BooleanField(default=False)
    inform = models.BooleanField(default=False, help_text="An InformRequest (acknowledged).")
    trap_oid = models.CharField(max_length=300, blank=True, help_text="Normalised (…33.2.n).")
    kind = models.CharField(max_length=20, choices=TrapKind.choices, default=TrapKind.OTHER)
    alarm = models.CharField(max_length=50, blank=True, help_text="Well-known alarm, if any.")
    varbinds = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True, help_text="Why it could not be decoded.")
    raw_hex = models.TextField(blank=True, help_text="First 512 bytes of an undecodable datagram.")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["ups", "received_at"], name="trap_ups_time"),
            models.Index(fields=["source_address", "received_at"], name="trap_source_time"),
        ]

    def __str__(self) -> str:
        return f"{self.trap_oid or 'malformed'} from {self.source_address} @ {self.received_at}"

    @property
    def accepted(self) -> bool:
        return self.ups_id is not None and self.community_ok and not self.error


# --- Trend rollups (docs/trends.md) ----------------------------------------------------
# Appended as one block so the trend work stays separate from the rest of the file.

# Measurement columns the charts plot; each gets min/avg/max columns in every rollup table.
ROLLUP_MEASURES: tuple[str, ...] = (
    "input_voltage_l1",
    "input_voltage_l2",
    "input_voltage_l3",
    "output_voltage_l1",
    "output_voltage_l2",
    "output_voltage_l3",
    "input_frequency_hz",
    "output_frequency_hz",
    "load_pct",
    "charge_pct",
    "runtime_remaining_s",
    "battery_voltage_v",
    "battery_temperature_c",
)
ROLLUP_AGGREGATES: tuple[str, ...] = ("min", "avg", "max")


class RollupBase(models.Model):
    """Min/avg/max of each charted measure over one time bucket of one UPS.

    Only reachable polls count (an unanswered poll has no values). `samples` weights
    the averages when buckets are merged into wider ones at query time.
    """

    id = models.BigAutoField(primary_key=True)
    ups = models.ForeignKey(Ups, on_delete=models.CASCADE, related_name="+", db_index=False)
    bucket = models.DateTimeField(help_text="Start of the bucket (UTC, aligned to its width).")
    samples = models.PositiveIntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.ups_id} @ {self.bucket:%Y-%m-%d %H:%M}"


# Columns from the table above rather than 39 hand-written fields: adding a measure to
# the charts is one line there plus a migration.
for _measure in ROLLUP_MEASURES:
    for _agg in ROLLUP_AGGREGATES:
        RollupBase.add_to_class(f"{_measure}_{_agg}", models.FloatField(null=True))


class Rollup5m(RollupBase):
    class Meta:
        verbose_name = "5-minute rollup"
        constraints = [
            models.UniqueConstraint(fields=["ups", "bucket"], name="rollup5m_ups_bucket")
        ]


class Rollup1h(RollupBase):
    class Meta:
        verbose_name = "1-hour rollup"
        constraints = [
            models.UniqueConstraint(fields=["ups", "bucket"], name="rollup1h_ups_bucket")
        ]


# --- Console customisation: site maps and per-user preferences (docs/console.md) -----

from django.conf import settings as _settings  # noqa: E402


def _site_image_path(instance: SiteMap, filename: str) -> str:
    # Our own name, never the uploader's: no path tricks, no misleading extension.
    from monitoring.sitemaps import extension_for

    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    return f"sitemaps/site-{instance.site_id}-{stamp}{extension_for(instance.image_type)}"


class SiteMap(models.Model):
    """An optional floor plan or map of one site, on which UPS icons are placed."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="map")
    # Raster only (PNG, JPEG, WebP), checked by content: an SVG could carry script.
    image = models.FileField(upload_to=_site_image_path, blank=True, max_length=200)
    image_type = models.CharField(
        max_length=20, blank=True, help_text="MIME type found by content."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"map of {self.site}"


class MapPosition(models.Model):
    """Where a UPS icon sits on its site's map, as fractions of the image (0..1)."""

    ups = models.OneToOneField(Ups, on_delete=models.CASCADE, related_name="map_position")
    x = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    y = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.ups} at ({self.x:.3f}, {self.y:.3f})"


class Theme(models.TextChoices):
    LIGHT = "light", "Light"
    DARK = "dark", "Dark grey (control room)"
    GREY_NORMAL = "grey_normal", "Grey-normal (high-performance HMI)"


class DefaultView(models.TextChoices):
    ALL = "all", "All UPSs"
    PROBLEMS = "problems", "Only problems, worst first"
    MAP = "map", "A site map"


# The values a tile can show; the user picks which (UserPreference.columns).
TILE_VALUES = {
    "load": "Load",
    "charge": "Charge",
    "runtime": "Runtime",
    "on_battery": "Time on battery",
}


def _default_columns() -> list[str]:
    return list(TILE_VALUES)


class UserPreference(models.Model):
    user = models.OneToOneField(
        _settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_preference"
    )
    theme = models.CharField(max_length=12, choices=Theme.choices, default=Theme.LIGHT)
    default_view = models.CharField(
        max_length=10, choices=DefaultView.choices, default=DefaultView.ALL
    )
    default_map = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    columns = models.JSONField(default=_default_columns, blank=True)

    def __str__(self) -> str:
        return f"preferences of {self.user}"


# --- Vendor profiles and environmental sensors (docs/profiles.md, docs/sensors.md) ------
# Appended as one block so the vendor/sensor work stays separate from the rest of the file.


class UpsProfileState(models.Model):
    """What the poller learnt about a UPS's card: the detected profile and why, values
    withheld as suspicious, and which profile values the card answers (coverage).

    Written only when something changed, so it costs nothing on a steady poll.
    """

    ups = models.OneToOneField(
        Ups, on_delete=models.CASCADE, primary_key=True, related_name="profile_state"
    )
    detected_profile = models.CharField(max_length=50, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    sys_object_id = models.CharField(max_length=200, blank=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    profile_used = models.CharField(max_length=50, blank=True)
    suspicious = models.JSONField(default=list, blank=True)
    read_fields = models.JSONField(default=list, blank=True)
    missing_fields = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "UPS profile state"

    def __str__(self) -> str:
        return f"{self.ups_id}: {self.profile_used or self.detected_profile or '?'}"


class SensorQuantity(models.TextChoices):
    TEMPERATURE = "temperature", "Temperature"
    HUMIDITY = "humidity", "Humidity"
    ANALOG = "analog", "Analog input"
    DIGITAL_IN = "digital_in", "Digital input"
    DIGITAL_OUT = "digital_out", "Digital output"


class SensorPoint(models.Model):
    """One sensor point on a UPS's card, configured by an administrator.

    `source` names the card channel ("analog.3", "temperature.1", "digital_in.2"; see
    the UPS page for what the card offers). Analog value = card value / divisor + offset.
    The poller keeps `value`/`level` current (hysteresis needs the previous level).
    """

    ups = models.ForeignKey(Ups, on_delete=models.CASCADE, related_name="sensor_points")
    source = models.CharField(max_length=40, help_text='Card channel, e.g. "analog.1".')
    quantity = models.CharField(max_length=12, choices=SensorQuantity.choices)
    name = models.CharField(max_length=100)
    unit = models.CharField(max_length=20, blank=True)
    divisor = models.FloatField(default=1.0, help_text="Scale divisor (card value / divisor).")
    offset = models.FloatField(default=0.0, help_text="Added after the divisor.")
    normal_state = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=[(0, "0 (open / off)"), (1, "1 (closed / on)")]
    )
    severity = models.CharField(
        max_length=10,
        default="critical",
        choices=[("warning", "Warning"), ("critical", "Critical")],
        help_text="Digital inputs: how bad the abnormal state is.",
    )
    low_alarm = models.FloatField(null=True, blank=True)
    low_warning = models.FloatField("low pre-alarm", null=True, blank=True)
    high_warning = models.FloatField("high pre-alarm", null=True, blank=True)
    high_alarm = models.FloatField(null=True, blank=True)
    hysteresis = models.FloatField(default=0.0)
    enabled = models.BooleanField(default=True)
    # Kept by the poller
    value = models.FloatField(null=True, blank=True, editable=False)
    level = models.CharField(max_length=12, default="unknown", editable=False)
    updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    stored_value = models.FloatField(null=True, blank=True, editable=False)
    stored_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["ups", "source"]
        constraints = [
            models.UniqueConstraint(fields=["ups", "source"], name="sensorpoint_ups_source")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.source})"

    def clean(self) -> None:
        from monitoring.sensors import Limits

        errors: dict[str, Any] = {}
        if self.divisor == 0:
            errors["divisor"] = "The divisor must not be 0."
        try:
            Limits(
                self.low_alarm, self.low_warning, self.high_warning, self.high_alarm,
                self.hysteresis or 0.0,
            ).validate()  # fmt: skip
        except ValueError as exc:
            errors["hysteresis" if "hysteresis" in str(exc) else "high_alarm"] = str(exc)
        kind = self.source.partition(".")[0]
        if kind not in SensorQuantity.values or not self.source.partition(".")[2].isdigit():
            errors["source"] = 'Use "<kind>.<channel>", e.g. "analog.1" or "digital_in.2".'
        if errors:
            raise ValidationError(errors)


class SensorMeasurement(models.Model):
    """Sensor values for trends. Cheap: a row only when the value moved by more than the
    deadband, the level changed, or the last row is older than the keep-alive interval
    (monitoring/sensor_store.py), not on every poll."""

    id = models.BigAutoField(primary_key=True)
    point = models.ForeignKey(
        SensorPoint, on_delete=models.CASCADE, related_name="measurements", db_index=False
    )
    taken_at = models.DateTimeField()
    value = models.FloatField(null=True)
    level = models.CharField(max_length=12)

    class Meta:
        indexes = [models.Index(fields=["point", "taken_at"], name="sensormeas_point_time")]
        get_latest_by = "taken_at"

    def __str__(self) -> str:
        return f"{self.point_id} @ {self.taken_at:%Y-%m-%d %H:%M:%S}"
