"""Celery tasks: thin wrappers that take IDs (JSON messages, never pickles).

Retries of SNMP requests live in the engine's transport (timeout x retries per UPS);
a failed poll is a result (comm lost counting), never a task retry.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from monitoring.polling import poll_sync
from monitoring.scheduler import claim_due


@shared_task(ignore_result=True)
def poll_due() -> int:
    """Claim what is due and hand it to the workers in batches; returns how many."""
    batch_size = settings.UNMS["POLL_BATCH_SIZE"]
    claimed = 0
    while claims := claim_due(timezone.now(), batch_size):
        poll_batch.delay([c.ups_id for c in claims])
        claimed += len(claims)
        if len(claims) < batch_size:
            break
    return claimed


@shared_task(ignore_result=True)
def poll_batch(ups_ids: list[int]) -> None:
    poll_sync(ups_ids)


# --- trend rollups and retention (docs/trends.md) --------------------------------------


@shared_task(ignore_result=True)
def rollup_measurements() -> dict[str, int]:
    """Fill the 5 min and 1 h rollup tables up to now (incremental, idempotent)."""
    from monitoring.rollups import rollup_all

    return rollup_all()


@shared_task(ignore_result=True)
def purge_old_measurements() -> dict[str, int]:
    """Delete raw measurements and rollup rows older than their retention settings."""
    from monitoring.rollups import purge_all

    return purge_all()


# --- trap log retention (docs/traps.md) ------------------------------------------------


@shared_task(ignore_result=True)
def purge_old_traps(chunk: int = 5000) -> int:
    """Delete stored traps older than `UNMS["TRAP_RETENTION_DAYS"]` (default 90; 0 keeps
    them forever); returns how many. Chunked by id so that a flood's worth of old rows
    never becomes one long transaction. Alarms and their events (which only name the
    trap id in their data) are kept: they are the history.
    """
    from datetime import timedelta

    from monitoring.models import Trap

    days = settings.UNMS.get("TRAP_RETENTION_DAYS", 90)
    if not days or days <= 0:
        return 0
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while ids := list(
        Trap.objects.filter(received_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:chunk]
    ):
        deleted += Trap.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < chunk:
            break
    return deleted
