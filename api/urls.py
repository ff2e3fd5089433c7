from __future__ import annotations

from django.urls import path

from api import openapi, views

app_name = "api"

urlpatterns = [
    path("openapi.json", openapi.document, name="openapi"),
    path("v1/fleet", views.fleet, name="fleet"),
    path("v1/ups/<int:pk>", views.ups_detail, name="ups"),
    path("v1/ups/<int:pk>/readings", views.readings, name="readings"),
    path("v1/ups/<int:pk>/readings.csv", views.readings_csv, name="readings-csv"),
    path("v1/alarms", views.alarms, name="alarms"),
]
