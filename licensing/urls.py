from __future__ import annotations

from django.urls import path

from licensing import views

app_name = "licensing"

urlpatterns = [path("", views.licence_page, name="page")]
