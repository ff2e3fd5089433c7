"""Dashboard, site map and preference views: permissions, validation, safe image serving."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from monitoring.models import MapPosition, SiteMap, UserPreference
from monitoring.sitemaps import sniff
from tests.factories import SiteFactory, UpsFactory, UpsStatusFactory

pytestmark = pytest.mark.django_db


def png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * 3 * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def test_sniff_knows_raster_formats_by_content_only() -> None:
    assert sniff(png(640, 480)) is not None
    assert sniff(png(640, 480)).mime == "image/png"  # type: ignore[union-attr]
    assert (sniff(png(640, 480)).width, sniff(png(640, 480)).height) == (640, 480)  # type: ignore[union-attr]
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    jpeg += b"\xff\xc0\x00\x11\x08\x01\xe0\x02\x80\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    info = sniff(jpeg)
    assert info is not None
    assert (info.mime, info.width, info.height) == ("image/jpeg", 640, 480)
    webp = b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8 + (639).to_bytes(3, "little")
    webp += (479).to_bytes(3, "little")
    webp_info = sniff(webp)
    assert webp_info is not None
    assert (webp_info.mime, webp_info.width, webp_info.height) == ("image/webp", 640, 480)
    assert sniff(SVG) is None
    assert sniff(b"GIF89a") is None


def test_dashboard_renders_tiles_grouped_with_live_hooks(operator_client: Client) -> None:
    status = UpsStatusFactory.create(state="critical")
    page = operator_client.get("/").content.decode()
    assert f'data-ups="{status.ups_id}"' in page
    assert 'data-state="critical"' in page
    assert 'id="console-config"' in page
    assert "js/dashboard.js" in page
    assert 'id="stale-banner"' in page
    assert "Sound: OFF — click to arm" in page


def test_the_start_page_follows_the_preference(operator_client: Client, operator: Any) -> None:
    site = SiteFactory.create()
    UserPreference.objects.create(user=operator, default_view="map", default_map=site)
    assert operator_client.get("/")["Location"] == f"/sites/{site.pk}/map/"
    assert operator_client.get("/?view=all").status_code == 200


def test_preferences_page_saves_theme_and_columns(operator_client: Client, operator: Any) -> None:
    response = operator_client.post(
        "/preferences/",
        {"theme": "dark", "default_view": "problems", "columns": ["load", "runtime"]},
    )
    assert response.status_code == 302
    pref = UserPreference.objects.get(user=operator)
    assert (pref.theme, pref.default_view, pref.columns) == (
        "dark",
        "problems",
        ["load", "runtime"],
    )
    page = operator_client.get("/").content.decode()
    assert 'data-theme="dark"' in page
    assert 'data-v="charge"' not in page


def test_a_map_view_needs_a_map(operator_client: Client) -> None:
    response = operator_client.post("/preferences/", {"theme": "light", "default_view": "map"})
    assert response.status_code == 200
    assert "Choose the site" in response.content.decode()


def test_only_staff_place_icons_and_values_are_checked(
    operator_client: Client, admin_client: Client
) -> None:
    ups = UpsFactory.create()
    url = f"/sites/{ups.site_id}/map/position/"
    body = json.dumps({"ups": ups.pk, "x": 0.25, "y": 0.75})

    assert operator_client.post(url, body, content_type="application/json").status_code == 302
    assert admin_client.post(url, body, content_type="application/json").status_code == 200
    assert (MapPosition.objects.get(ups=ups).x, MapPosition.objects.get(ups=ups).y) == (0.25, 0.75)

    clamped = json.dumps({"ups": ups.pk, "x": 7, "y": -1})
    assert admin_client.post(url, clamped, content_type="application/json").json()["x"] == 1.0
    bad = json.dumps({"ups": ups.pk, "x": "left", "y": 0})
    assert admin_client.post(url, bad, content_type="application/json").status_code == 400
    other_site = UpsFactory.create()
    wrong = json.dumps({"ups": other_site.pk, "x": 0.1, "y": 0.1})
    assert admin_client.post(url, wrong, content_type="application/json").status_code == 400
    off = json.dumps({"ups": ups.pk, "x": None})
    admin_client.post(url, off, content_type="application/json")
    assert not MapPosition.objects.filter(ups=ups).exists()


def test_site_map_csrf_is_enforced() -> None:
    from django.contrib.auth.models import User

    admin = User.objects.create_user("boss", password="x", is_staff=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    ups = UpsFactory.create()
    body = json.dumps({"ups": ups.pk, "x": 0.5, "y": 0.5})
    response = client.post(f"/sites/{ups.site_id}/map/position/", body, "application/json")
    assert response.status_code == 403


def test_upload_accepts_raster_refuses_svg_and_serves_safely(
    admin_client: Client, operator_client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    site = SiteFactory.create()
    upload = f"/sites/{site.pk}/map/upload/"

    svg = SimpleUploadedFile("plan.png", SVG, content_type="image/png")  # lies about its type
    admin_client.post(upload, {"image": svg})
    assert not SiteMap.objects.get(site=site).image

    admin_client.post(upload, {"image": SimpleUploadedFile("x.svg", png(), "image/svg+xml")})
    row = SiteMap.objects.get(site=site)
    assert row.image_type == "image/png"
    assert row.image.name.endswith(".png")
    assert "x.svg" not in row.image.name

    response = operator_client.get(f"/sites/{site.pk}/map/image")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response.getvalue() == png()

    assert (
        operator_client.post(upload, {"image": SimpleUploadedFile("p.png", png())}).status_code
        == 302
    )
    assert SiteMap.objects.get(site=site).image.name == row.image.name  # unchanged


def test_upload_size_limit(admin_client: Client, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.UNMS = {
        **settings.UNMS,
        "CONSOLE": {**settings.UNMS["CONSOLE"], "SITE_IMAGE_MAX_BYTES": 100},
    }
    site = SiteFactory.create()
    big = png(200, 200) + b"\x00" * 200
    response = admin_client.post(
        f"/sites/{site.pk}/map/upload/", {"image": SimpleUploadedFile("p.png", big)}, follow=True
    )
    assert "larger than" in response.content.decode()
    assert not SiteMap.objects.get(site=site).image


def test_site_map_page_places_pins(operator_client: Client) -> None:
    ups = UpsFactory.create()
    MapPosition.objects.create(ups=ups, x=0.5, y=0.25)
    other = UpsFactory.create(site=ups.site)
    page = operator_client.get(f"/sites/{ups.site_id}/map/").content.decode()
    assert f'data-ups="{ups.pk}"' in page
    assert 'data-x="0.50000"' in page
    assert f'data-ups="{other.pk}"' in page  # in the tray
    assert "Edit positions" not in page  # not staff
