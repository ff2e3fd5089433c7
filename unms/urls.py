from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from api import metrics as api_metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("alarms/", include("alarms.urls")),
    path("licence/", include("licensing.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/", include("api.urls")),
    # Prometheus scrapes /metrics by convention (docs/api.md).
    path("metrics", api_metrics.metrics, name="metrics"),
    path("", include("monitoring.urls")),
]
