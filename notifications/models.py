"""Who is told what, how and when: channels, recipients, rules with a timing table,
maintenance windows, and the outbox (`Notification`) that is both log and work queue.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from monitoring.choices import ConditionKind, Severity
from monitoring.fields import EncryptedTextField
from monitoring.models import Region, Site, Ups
from notifications.choices import ChannelKind, Event, State, Trigger
from notifications.validators import validate_program_path, validate_webhook_url

# Which fields each kind of channel needs: a table, so the admin form and the transports
# agree on one definition.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    ChannelKind.EMAIL: (),
    ChannelKind.POPUP: (),
    ChannelKind.PROGRAM: ("program_path",),
    ChannelKind.WEBHOOK: ("url",),
}


class Channel(models.Model):
    """One way of delivering: the e-mail server, the pop-up, a program, a webhook URL."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=ChannelKind.choices)
    enabled = models.BooleanField(default=True)
    url = models.URLField(
        "webhook URL", max_length=500, blank=True, validators=[validate_webhook_url]
    )
    # Secret: encrypted at rest, write-only in the admin, never in lists, logs, the audit
    # log or the notification log.
    secret = EncryptedTextField(
        "webhook secret",
        max_length=200,
        blank=True,
        help_text="Key of the HMAC-SHA256 signature header; empty: unsigned.",
    )
    program_path = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_program_path],
        help_text="Absolute path of an executable; run without a shell.",
    )
    program_args = models.JSONField(
        default=list,
        blank=True,
        help_text='Argument list, e.g. ["--ups", "$ups", "--severity", "$severity"].',
    )
    timeout_s = models.PositiveIntegerField(
        "timeout (s)", default=10, validators=[MinValueValidator(1)]
    )
    sound = models.BooleanField(default=True, help_text="Pop-ups: play a sound when shown.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        missing = {
            f: "Required for this kind of channel."
            for f in REQUIRED_FIELDS.get(self.kind, ())
            if not getattr(self, f)
        }
        if not isinstance(self.program_args, list) or not all(
            isinstance(a, str) for a in self.program_args
        ):
            missing["program_args"] = "A JSON list of strings."
        if missing:
            raise ValidationError(missing)


class Recipient(models.Model):
    """A person (a user: pop-ups, e-mail) or an endpoint (an SMS number, a chat room)."""

    name = models.CharField(max_length=100, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_recipients",
        help_text="Pop-ups go to every open session of this user.",
    )
    address = models.CharField(
        max_length=254,
        blank=True,
        help_text="E-mail address (empty: the user's), or a number/handle for programs.",
    )
    enabled = models.BooleanField(default=True)
    digest_window_s = models.PositiveIntegerField(
        "digest window (s)",
        null=True,
        blank=True,
        help_text="Storm control: alarms within this window leave as one digest. "
        "Empty: the default setting; 0: never digest.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def email(self) -> str:
        if self.address and "@" in self.address:
            return self.address
        return getattr(self.user, "email", "") or ""


class Rule(models.Model):
    """Selects alarms and sends them to targets; when, is the rows of `RuleStep`."""

    name = models.CharField(max_length=100, unique=True)
    enabled = models.BooleanField(default=True)
    min_severity = models.CharField(
        max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    kinds = models.JSONField(
        default=list, blank=True, help_text='Condition kinds, e.g. ["OnBattery"]; empty: all.'
    )
    regions = models.ManyToManyField(Region, blank=True, related_name="+")
    sites = models.ManyToManyField(Site, blank=True, related_name="+")
    upses = models.ManyToManyField(Ups, blank=True, related_name="+", verbose_name="UPSs")
    escalate_after_s = models.PositiveIntegerField(
        "escalate after (s)",
        null=True,
        blank=True,
        help_text="Targets of level n are told if the alarm is still unacknowledged "
        "n x this long after it was raised.",
    )
    storm_control = models.BooleanField(
        default=True, help_text="Collect this rule's messages into per-recipient digests."
    )
    critical_one_by_one = models.BooleanField(
        default=True, help_text="Critical alarms skip the digest and leave at once."
    )
    # Steps due before this moment are never sent: a new rule does not page people
    # about alarms that were already open when it was written.
    active_since = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = set(self.kinds or []) - set(ConditionKind.values)
        if not isinstance(self.kinds, list) or unknown:
            raise ValidationError({"kinds": f"Unknown kinds: {', '.join(sorted(unknown))}"})


class RuleStep(models.Model):
    """One row of a rule's timing table."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="steps")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    seconds = models.PositiveIntegerField(
        default=0, help_text="X of the trigger (delay, period, time on battery, runtime)."
    )
    limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Repeat: at most this many reminders."
    )

    class Meta:
        ordering = ["rule", "id"]

    def __str__(self) -> str:
        return f"{Trigger(self.trigger).label} ({self.seconds} s)"


class RuleTarget(models.Model):
    """Recipient x channel of a rule; level 0 follows the steps, level n >= 1 is told
    only on escalation (and then on clear)."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="targets")
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="+")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(default=0, help_text="0: at once; n: escalation.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "recipient", "channel"], name="ruletarget_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient} via {self.channel} (level {self.level})"


class MaintenanceWindow(models.Model):
    """Alarms are recorded as usual; notifications due inside the window are held."""

    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ups = models.ForeignKey(Ups, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(site__isnull=False) | models.Q(ups__isnull=False),
                name="maintenance_has_scope",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="maintenance_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ups or self.site}: {self.reason}"

    def clean(self) -> None:
        if not (self.site_id or self.ups_id):
            raise ValidationError("Choose a site or a UPS.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "Must be after the start."})


DUE = models.Q(state=State.PENDING)


class Notification(models.Model):
    """The outbox: one row per (alarm, rule, step, occurrence, recipient, channel).

    Written before anything is sent (in the transaction that claims the alarm events),
    then claimed by a conditional UPDATE with a lease: a worker that dies mid-send leaves
    a `sending` row whose lease expires and is claimed again. `key` is unique, so
    planning twice never sends twice. Retries live here (`next_attempt_at`), not in
    Celery: a Redis restart loses no retry.
    """

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(max_length=200, unique=True)
    alarm = models.ForeignKey(
        "alarms.Alarm", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="notifications")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=20, choices=Event.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # May join a per-recipient digest (storm control).
    digest = models.BooleanField(default=False)
    held_reason = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300)
    # The alarm as it was when planned: what the message says, even years later.
    payload = models.JSONField(default=dict)
    due_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Who holds the claim: the finishing UPDATE matches it, so a worker whose lease has
    # run out cannot overwrite the outcome of the one that took over.
    claim = models.UUIDField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Transport details: HTTP status, exit code and output, digest size.
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Pop-ups stay on screen until a user acknowledges them.
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="notification_due_idx",
                condition=models.Q(state__in=[State.PENDING, State.SENDING]),
            ),
            models.Index(fields=["state", "created_at"], name="notification_state_idx"),
            models.Index(fields=["alarm"], name="notification_alarm_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.recipient_id} ({self.state})"

    @property
    def state_choice(self) -> State:
        return State(self.state)
