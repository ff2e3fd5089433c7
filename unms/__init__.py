"""UPS fleet monitoring system: Django project package."""

# Load the Celery app with Django, so `.delay()` from web requests and commands uses the
# project's configuration (broker, eager mode) rather than Celery's default app.
from unms.celery import app as celery_app

__all__ = ["celery_app"]
