from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users, roles and audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from accounts import audit, checks, roles  # noqa: F401  (checks: registers them)

        # Apps added later (notifications, api, ...) bring new permissions: the role groups
        # follow them after every migrate, not only after this app's data migration.
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="accounts.sync_roles")
        audit.connect()
        user_logged_in.connect(audit.on_login, dispatch_uid="accounts.audit.on_login")
