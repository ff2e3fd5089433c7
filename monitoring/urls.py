from __future__ import annotations

from django.urls import path

from monitoring import views

urlpatterns = [
    path("", views.fleet, name="fleet"),
    path("ups/<int:pk>/", views.ups_detail, name="ups-detail"),
    path("sites/<int:pk>/map/", views.site_map, name="site-map"),
    path("sites/<int:pk>/map/image", views.site_map_image, name="site-map-image"),
    path("sites/<int:pk>/map/upload/", views.site_map_upload, name="site-map-upload"),
    path("sites/<int:pk>/map/position/", views.site_map_position, name="site-map-position"),
    path("preferences/", views.preferences, name="preferences"),
    path("console/messages/", views.console_messages, name="console-messages"),
]
