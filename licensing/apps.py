from __future__ import annotations

from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licence"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from licensing import enforcement

        enforcement.connect()
