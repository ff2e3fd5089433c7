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
