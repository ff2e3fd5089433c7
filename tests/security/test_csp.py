"""The CSP (script-src 'self', style-src 'self') forbids inline event handlers and style
attributes: no template served under it may carry one. The browser test
(tests/browser/test_console.py) checks the pages at run time, scripts included."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.alarms.factories import OpenAlarmFactory
from tests.security.conftest import client_for

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# E-mail bodies are read by mail clients, not served under our CSP: inline styles are
# the only styles most mail clients honour.
NOT_SERVED = ("notifications/email/",)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)


def _served_templates() -> list[Path]:
    found = sorted(TEMPLATES.rglob("*.html"))
    served = [p for p in found if not str(p.relative_to(TEMPLATES)).startswith(NOT_SERVED)]
    assert len(served) > 20
    return served


@pytest.mark.parametrize(
    ("what", "pattern"),
    [
        ("inline event handler", HANDLER),
        ("style attribute", STYLE_ATTRIBUTE),
        ("inline script", INLINE_SCRIPT),
    ],
)
def test_no_template_carries_what_the_csp_blocks(what: str, pattern: re.Pattern[str]) -> None:
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)[:80]!r}"
        for path in _served_templates()
        for match in pattern.finditer(path.read_text())
    ]
    assert offenders == [], f"{what} in templates"


@pytest.mark.django_db
def test_the_bulk_acknowledge_confirmation_is_static_javascript(operator_user: Any) -> None:
    OpenAlarmFactory.create()
    html = client_for(operator_user).get("/alarms/").content.decode()
    assert 'data-confirm="Acknowledge the selected alarms?"' in html
    assert "js/confirm.js" in html
    assert "onclick" not in html
