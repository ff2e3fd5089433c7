"""A throwaway key pair for the licensing tests: the embedded public key's private half is
never available to tests (nor anywhere in the repository)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licensing.tokens import Licence, Tier, public_key_text, sign

TODAY = dt.date(2025, 6, 1)
Issue = Callable[..., str]


@pytest.fixture
def signing_key(settings: Any) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    settings.UNMS = {
        **settings.UNMS,
        "LICENCE_TEST_PUBLIC_KEYS": [public_key_text(key.public_key())],
    }
    return key


@pytest.fixture
def issue(signing_key: Ed25519PrivateKey) -> Issue:
    """issue(tier="50", expires=None, ...) -> a key signed by the test key pair."""

    def make(
        tier: str = "50",
        licensee: str = "ACME Bank",
        issued: dt.date = TODAY - dt.timedelta(days=10),
        expires: dt.date | None = None,
        product: str = "unms",
        key: Ed25519PrivateKey | None = None,
    ) -> str:
        licence = Licence(Tier(tier), licensee, issued, expires, product)
        return sign(licence, key or signing_key)

    return make
