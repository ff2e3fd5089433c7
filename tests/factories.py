"""One factory per model, so tests state only the values they are about.

UPSs get unique names and distinct loopback endpoints (127.0.x.y, one port each): host +
port is unique in the database, and tests that talk to the simulator can bind there.
"""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from monitoring.choices import BatteryStatus, OutputSource, SnmpVersion, UpsState
from monitoring.models import Measurement, Region, Site, Ups, UpsStatus

PASSWORD = "correct horse battery staple"


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Region {n}")


class SiteFactory(factory.django.DjangoModelFactory[Site]):
    class Meta:
        model = Site
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Site {n}")
    # Regions are optional in the model; tests that need one pass `region=...`.
    region = None


class UpsFactory(factory.django.DjangoModelFactory[Ups]):
    class Meta:
        model = Ups

    name = factory.Sequence(lambda n: f"ups-{n:04d}")
    site = factory.SubFactory(SiteFactory)
    # 127.0.0.1 .. 127.0.0.250, then 127.0.1.x: never .0 or .255.
    host = factory.Sequence(lambda n: f"127.0.{n // 250}.{n % 250 + 1}")
    # Above the well-known range, so a simulator can bind without privileges.
    port = factory.Sequence(lambda n: 20000 + n)
    snmp_version = SnmpVersion.V2C
    community = "public"
    poll_interval_s = 30
    enabled = True


class UpsStatusFactory(factory.django.DjangoModelFactory[UpsStatus]):
    class Meta:
        model = UpsStatus

    ups = factory.SubFactory(UpsFactory)
    state = UpsState.OK
    state_since = factory.LazyFunction(timezone.now)
    last_poll_at = factory.LazyFunction(timezone.now)
    last_success_at = factory.LazyFunction(timezone.now)


class MeasurementFactory(factory.django.DjangoModelFactory[Measurement]):
    """A healthy single-phase UPS on mains: tests change only the values they check."""

    class Meta:
        model = Measurement

    ups = factory.SubFactory(UpsFactory)
    taken_at = factory.LazyFunction(timezone.now)
    reachable = True
    state = UpsState.OK
    poll_ms = 12.0
    battery_status = BatteryStatus.NORMAL
    seconds_on_battery = 0
    runtime_remaining_s = 1800
    charge_pct = 100.0
    battery_voltage_v = 54.6
    battery_temperature_c = 24.0
    output_source = OutputSource.NORMAL
    input_frequency_hz = 50.0
    output_frequency_hz = 50.0
    input_voltage_l1 = 230.0
    output_voltage_l1 = 230.0
    load_l1_pct = 35.0
    load_pct = 35.0
    output_power_w = 1050.0


class UserFactory(factory.django.DjangoModelFactory[User]):
    """An operator: can log in, is not staff."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)
    is_staff = False
    is_superuser = False


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True
