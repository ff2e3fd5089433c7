"""Headers, CSRF, cookies, `check --deploy` with production settings, no default credentials."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.security.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x" * 30 + "-a-long-random-production-secret-key-0123456789",
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "ups.example.com",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://ups.example.com",
    "UNMS_BEHIND_TLS": "true",
    "UNMS_SECRET_KEY_ENCRYPTION": "q4kJp0tJ3Zk0yWc9Fq6mM3h8mYbU0r3mXq2y7mN5bVQ=",
}


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "UNMS_"))}
    env.update(PRODUCTION_ENV, UNMS_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_embedded_defaults(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "UNMS_"))}
    env["UNMS_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr + result.stdout
    assert "UNMS_SECRET_KEY_ENCRYPTION" in result.stderr + result.stdout


@pytest.mark.django_db
def test_security_headers_on_pages(viewer: Any) -> None:
    response = client_for(viewer).get("/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "ws://testserver" in csp  # live updates to the same host only
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_login_page_has_the_headers_too() -> None:
    response = Client().get("/login/")
    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_csrf_is_enforced_on_login_admin_and_actions(viewer: Any, administrator: Any) -> None:
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/login/", {"username": "a", "password": "b"}).status_code == 403
    assert anonymous.post("/admin/login/", {"username": "a", "password": "b"}).status_code == 403
    admin = Client(enforce_csrf_checks=True)
    admin.force_login(administrator)
    assert admin.post("/admin/monitoring/site/add/", {"name": "x"}).status_code == 403
    assert admin.post("/licence/", {"key": "x"}).status_code == 403
    assert admin.post("/alarms/acknowledge/", {"alarm": 1}).status_code == 403


def test_cookie_settings(settings: Any) -> None:
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.CSRF_COOKIE_SAMESITE == "Lax"
    assert settings.SESSION_COOKIE_AGE <= 24 * 3600


def test_production_settings_secure_the_cookies() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "UNMS_"))}
    env.update(PRODUCTION_ENV)
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='unms.settings'; "
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.split()[:4] == ["True", "True", "True", "31536000"]


def test_no_default_credentials_in_the_code() -> None:
    # The demo's administrator gets a random password (demo.ensure_admin).
    demo = (ROOT / "monitoring/management/commands/demo.py").read_text()
    assert "secrets.token_urlsafe" in demo
    for path in ROOT.glob("**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        text = path.read_text(errors="ignore")
        assert 'set_password("admin")' not in text, path
        assert 'password="admin"' not in text, path
