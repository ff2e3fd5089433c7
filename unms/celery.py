"""Celery application. Messages are JSON with IDs only (never pickles)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unms.settings")

app = Celery("unms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
