from __future__ import annotations

from django.apps import AppConfig


class AlarmsConfig(AppConfig):
    name = "alarms"
    verbose_name = "Alarms"
    default_auto_field = "django.db.models.BigAutoField"
