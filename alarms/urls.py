from __future__ import annotations

from django.urls import path

from alarms import views

app_name = "alarms"

urlpatterns = [
    path("", views.alarm_list, name="list"),
    path("export.csv", views.alarm_export, name="export"),
    path("acknowledge/", views.alarm_acknowledge, name="acknowledge"),
    path("<int:pk>/", views.alarm_detail, name="detail"),
    path("<int:pk>/comment/", views.alarm_comment, name="comment"),
]
