"""Site-map image uploads: PNG/JPEG/WebP by content only, size-limited, stored under
MEDIA_ROOT with a generated name, served with the checked type and nosniff to logged-in
users in scope only."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import UserScope
from accounts.roles import Role
from monitoring.models import SiteMap
from tests.console.test_views import SVG, png
from tests.factories import SiteFactory
from tests.security.conftest import client_for, make_user

pytestmark = pytest.mark.django_db

JPEG = (
    b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 30, 40, 1) + b"\x01\x11\x00"
    b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x00" * 16 + b"\xff\xd9"
)
_VP8L = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", (9 << 14) | 19) + b"\x00"
WEBP = b"RIFF" + struct.pack("<I", 4 + len(_VP8L)) + b"WEBP" + _VP8L
HTML = b"<!doctype html><script>fetch('/api/v1/fleet').then(r=>r.text()).then(alert)</script>"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def boss() -> Client:
    return client_for(make_user(Role.ADMINISTRATOR, "img-boss"))


def upload(client: Client, site_pk: int, name: str, content: bytes, declared: str) -> Any:
    file = SimpleUploadedFile(name, content, content_type=declared)
    return client.post(f"/sites/{site_pk}/map/upload/", {"image": file}, follow=True)


@pytest.mark.parametrize(
    ("name", "content", "declared", "mime"),
    [
        ("plan.png", png(), "image/png", "image/png"),
        ("plan.jpg", JPEG, "image/jpeg", "image/jpeg"),
        ("plan.webp", WEBP, "image/webp", "image/webp"),
        # The name and the declared type count for nothing: a PNG called .svg is a PNG.
        ("plan.svg", png(), "image/svg+xml", "image/png"),
    ],
)
def test_raster_images_are_stored_under_a_generated_name_and_served_as_checked(
    media: Path, boss: Client, name: str, content: bytes, declared: str, mime: str
) -> None:
    site = SiteFactory.create()
    upload(boss, site.pk, name, content, declared)
    row = SiteMap.objects.get(site=site)
    assert row.image_type == mime
    stored = Path(row.image.path).resolve()
    assert stored.is_relative_to(media.resolve())
    assert stored.name.startswith(f"site-{site.pk}-")
    assert stored.suffix == {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}[mime]
    assert stored.read_bytes() == content

    response = boss.get(f"/sites/{site.pk}/map/image")
    assert response["Content-Type"] == mime
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response.getvalue() == content


@pytest.mark.parametrize(
    ("what", "name", "content", "declared"),
    [
        ("SVG", "plan.svg", SVG, "image/svg+xml"),
        ("SVG renamed to .png", "plan.png", SVG, "image/png"),
        ("HTML renamed to .png", "plan.png", HTML, "image/png"),
        ("PNG with HTML appended (polyglot)", "plan.png", png() + HTML, "image/png"),
        (
            "JPEG with a ZIP appended (polyglot)",
            "plan.jpg",
            JPEG + b"PK\x03\x04" + HTML,
            "image/jpeg",
        ),
        ("WebP with a script appended", "plan.webp", WEBP + HTML, "image/webp"),
        ("PNG header only", "plan.png", png()[:40], "image/png"),
        ("empty", "plan.png", b"", "image/png"),
    ],
)
def test_anything_but_a_whole_raster_image_is_refused(
    media: Path, boss: Client, what: str, name: str, content: bytes, declared: str
) -> None:
    site = SiteFactory.create()
    response = upload(boss, site.pk, name, content, declared)
    assert "Background image saved" not in response.content.decode(), what
    row = SiteMap.objects.filter(site=site).first()
    assert row is None or not row.image, what
    assert not any(p.is_file() for p in media.rglob("*")), what


def test_an_oversized_image_is_refused(media: Path, boss: Client, settings: Any) -> None:
    settings.UNMS = {
        **settings.UNMS,
        "CONSOLE": {**settings.UNMS["CONSOLE"], "SITE_IMAGE_MAX_BYTES": 1024},
    }
    site = SiteFactory.create()
    # More bytes than the limit, ending like a PNG: the size is what refuses it.
    padded = png(4, 3)[:-12] + b"\x00" * 2048 + png(4, 3)[-12:]
    response = upload(boss, site.pk, "big.png", padded, "image/png")
    assert "larger than" in response.content.decode()
    assert not SiteMap.objects.filter(site=site).exclude(image="").exists()


def test_a_huge_pixel_size_is_refused(media: Path, boss: Client) -> None:
    site = SiteFactory.create()
    response = upload(boss, site.pk, "bomb.png", png(20000, 20000), "image/png")
    assert "pixels on a side" in response.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/cron.d/evil.png",
        "..\\..\\..\\windows\\evil.png",
        "/etc/passwd",
        "plan.png\x00.html",
        "../static/js/dashboard.js",
    ],
)
def test_the_uploaded_file_name_never_reaches_the_disk(
    media: Path, boss: Client, name: str
) -> None:
    site = SiteFactory.create()
    upload(boss, site.pk, name, png(), "image/png")
    row = SiteMap.objects.get(site=site)
    assert Path(row.image.path).resolve().is_relative_to(media.resolve())
    assert row.image.name.startswith("sitemaps/site-")
    assert ".." not in row.image.name
    assert [p.name for p in media.rglob("*") if p.is_file()] == [Path(row.image.name).name]


def test_the_image_is_served_only_to_logged_in_users_in_scope(media: Path, boss: Client) -> None:
    site = SiteFactory.create()
    other = SiteFactory.create()
    upload(boss, site.pk, "plan.png", png(), "image/png")
    url = f"/sites/{site.pk}/map/image"
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]

    inside = make_user(Role.VIEWER, "inside")
    UserScope.objects.create(user=inside).sites.add(site)
    assert client_for(inside).get(url).status_code == 200
    outside = make_user(Role.VIEWER, "outside")
    UserScope.objects.create(user=outside).sites.add(other)
    assert client_for(outside).get(url).status_code == 404


def test_only_administrators_upload(media: Path) -> None:
    site = SiteFactory.create()
    for role in (Role.VIEWER, Role.OPERATOR):
        client = client_for(make_user(role, f"up-{role}"))
        file = SimpleUploadedFile("plan.png", png(), content_type="image/png")
        response = client.post(f"/sites/{site.pk}/map/upload/", {"image": file})
        assert response.status_code in (302, 403)
        assert "/login/" in response.get("Location", "/login/")
    assert not SiteMap.objects.filter(site=site).exclude(image="").exists()
