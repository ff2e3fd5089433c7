"""UPS fleet monitoring system: Django project package."""
