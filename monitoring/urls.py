from __future__ import annotations

from django.urls import path

from monitoring import views

urlpatterns = [
    path("", views.fleet, name="fleet"),
    path("ups/<int:pk>/", views.ups_detail, name="ups-detail"),
]
