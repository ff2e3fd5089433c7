"""The installed licence: one row, also the lock that serialises adding UPSs."""

from __future__ import annotations

import datetime as dt

from django.db import models


class LicenceState(models.Model):
    """The single row (id 1) holding the installed key.

    Every path that adds or enables a UPS locks this row (SELECT ... FOR UPDATE) before
    counting the monitored UPSs, so two administrators adding the 25th UPS at once are
    served one after the other and the second is refused (licensing.enforcement).
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    key = models.TextField(blank=True, help_text="Empty: the free tier.")
    installed_at = models.DateTimeField(null=True, blank=True)
    installed_by = models.CharField(max_length=150, blank=True)
    # The expiry warnings already sent, as "YYYY-MM-DD:days" of the key's expiry date and
    # the threshold, so a renewal (another expiry date) starts the warnings afresh.
    notices_sent = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "licence"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(id=1),
                name="licence_state_singleton",
                violation_error_message="There is only one licence row (id 1).",
            )
        ]

    def __str__(self) -> str:
        return "installed licence" if self.key else "free tier"

    def notice_key(self, expires: dt.date, days: int) -> str:
        return f"{expires.isoformat()}:{days}"
