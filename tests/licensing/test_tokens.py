"""Licence keys: signed tokens, and every way a key can be refused (licensing.tokens)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licensing.keys import EMBEDDED_PUBLIC_KEYS, verifying_keys
from licensing.tokens import Licence, LicenceError, Tier, public_key_from_text, sign, verify
from tests.licensing.conftest import TODAY, Issue


def _verify(token: str, today: dt.date | None = TODAY) -> Licence:
    return verify(token, verifying_keys(), today)


def test_round_trip(issue: Issue) -> None:
    licence = _verify(issue(tier="150", expires=TODAY + dt.timedelta(days=30)))
    assert (licence.tier, licence.limit, licence.licensee) == (Tier.UPS_150, 150, "ACME Bank")
    assert licence.expires == TODAY + dt.timedelta(days=30)


def test_whitespace_and_line_breaks_are_ignored(issue: Issue) -> None:
    token = issue()
    wrapped = "\n".join(token[i : i + 40] for i in range(0, len(token), 40))
    assert _verify(f"  {wrapped}\n").tier is Tier.UPS_50


def _flip(token: str, index: int) -> str:
    # Change one character to another valid base64url one: still decodes, bytes differ.
    char = token[index]
    return token[:index] + ("A" if char != "A" else "B") + token[index + 1 :]


@pytest.mark.parametrize("where", ["content start", "content end", "signature"])
def test_a_flipped_byte_is_refused_as_altered(issue: Issue, where: str) -> None:
    token = issue()
    _, payload, _ = token.split(".")
    index = {
        "content start": len("UNMS1.") + 2,
        "content end": len("UNMS1.") + len(payload) - 3,
        "signature": len(token) - 10,
    }[where]
    with pytest.raises(LicenceError, match="signature is not valid: the key was altered"):
        _verify(_flip(token, index))


def test_edited_content_is_refused_even_when_well_formed(issue: Issue) -> None:
    prefix, payload, signature = issue(tier="50").split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["tier"] = "150"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    with pytest.raises(LicenceError, match="altered"):
        _verify(f"{prefix}.{forged}.{signature}")


def test_a_key_from_another_key_pair_is_refused(issue: Issue) -> None:
    with pytest.raises(LicenceError, match="not issued for UNMS"):
        _verify(issue(key=Ed25519PrivateKey.generate()))


def test_test_keys_do_not_verify_against_the_embedded_key(issue: Issue) -> None:
    embedded = [public_key_from_text(k) for k in EMBEDDED_PUBLIC_KEYS]
    with pytest.raises(LicenceError, match="signature is not valid"):
        verify(issue(), embedded, TODAY)


def test_another_product_is_refused(issue: Issue) -> None:
    with pytest.raises(LicenceError, match=r"for another product \('pdu-watch'\), not UNMS"):
        _verify(issue(product="pdu-watch"))


def test_expired_is_refused_with_its_date(issue: Issue) -> None:
    token = issue(expires=TODAY - dt.timedelta(days=1))
    with pytest.raises(LicenceError, match="expired on 2025-05-31"):
        _verify(token)
    # Reading the installed key (today=None) does not refuse it: expiry is a state there.
    assert _verify(token, today=None).expired(TODAY)


def test_valid_through_its_expiry_day(issue: Issue) -> None:
    assert not _verify(issue(expires=TODAY)).expired(TODAY)


def test_dated_in_the_future_points_at_the_clock(issue: Issue) -> None:
    with pytest.raises(LicenceError, match="in the future: check this server's clock"):
        _verify(issue(issued=TODAY + dt.timedelta(days=5)))


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "empty"),
        ("hello world", "not a UNMS licence key"),
        ("UNMS2.abc.def", "not a UNMS licence key"),
        ("UNMS1.abc", "three parts"),
        ("UNMS1.a.b.c", "three parts"),
        ("UNMS1.@@@@.AAAA", "content is not valid base64url"),
        ("UNMS1.eyJ9.!!", "signature is not valid base64url"),
        ("UNMS1.eyJ9.A", "signature is not valid base64url"),  # impossible length
        ("UNMS1.eyJ9.AAAA", "signature has the wrong length"),
    ],
)
def test_malformed_keys(signing_key: Ed25519PrivateKey, token: str, message: str) -> None:
    with pytest.raises(LicenceError, match=message):
        _verify(token)


def test_truncated_key(issue: Issue) -> None:
    with pytest.raises(LicenceError, match="signature"):
        _verify(issue()[:-5])


def test_unknown_tier_signed_by_us_is_refused(signing_key: Ed25519PrivateKey) -> None:
    licence = Licence(Tier.UPS_50, "x", TODAY)
    token = sign(licence, signing_key)
    # Re-sign a payload with a tier this version does not know.
    payload = {**licence.payload(), "tier": "1000"}
    body = "UNMS1." + base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    sig = base64.urlsafe_b64encode(signing_key.sign(body.encode())).rstrip(b"=").decode()
    assert token != f"{body}.{sig}"
    with pytest.raises(LicenceError, match=r"unknown tier \('1000'\)"):
        _verify(f"{body}.{sig}")


def test_production_uses_the_embedded_key(settings: object) -> None:
    assert "LICENCE_TEST_PUBLIC_KEYS" not in settings.UNMS  # type: ignore[attr-defined]
    assert len(verifying_keys()) == len(EMBEDDED_PUBLIC_KEYS) >= 1
