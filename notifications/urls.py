from __future__ import annotations

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_log, name="log"),
    path("<int:pk>/resend/", views.resend, name="resend"),
    path("test/", views.send_test, name="test"),
]
