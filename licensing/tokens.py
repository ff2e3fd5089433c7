"""Licence keys: Ed25519-signed tokens, verifiable offline. Pure: no Django, no database.

Format: ``UNMS1.<payload>.<signature>``, both parts base64url without padding. The payload
is JSON ``{"product", "tier", "licensee", "issued", "expires", "id"}``; the signature is
Ed25519 over the ASCII bytes ``UNMS1.<payload>`` (the encoded text, so no JSON
canonicalisation is needed to verify). Whitespace is ignored, so a key wrapped over lines
in an e-mail still pastes.

Everything is checked in this order, and the first failure is the message: shape, base64,
signature (so a key edited by hand is "altered", whatever field was changed), then
product, tier, dates.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import models

PRODUCT = "unms"
PREFIX = "UNMS1"


class Tier(models.TextChoices):
    FREE = "free", "Free"
    UPS_50 = "50", "50 UPSs"
    UPS_150 = "150", "150 UPSs"

    @property
    def limit(self) -> int:
        return TIER_LIMITS[self]


#: Monitored (enabled) UPSs each tier allows.
TIER_LIMITS: dict[Tier, int] = {Tier.FREE: 25, Tier.UPS_50: 50, Tier.UPS_150: 150}
FREE_LIMIT = TIER_LIMITS[Tier.FREE]


class LicenceError(ValueError):
    """The key is refused; str() is the message for the administrator."""


@dataclass(frozen=True, slots=True)
class Licence:
    tier: Tier
    licensee: str
    issued: dt.date
    expires: dt.date | None = None
    product: str = PRODUCT
    id: str = field(default_factory=lambda: secrets.token_hex(8))

    @property
    def limit(self) -> int:
        return TIER_LIMITS[self.tier]

    def expired(self, today: dt.date) -> bool:
        # Valid through its expiry date, inclusive.
        return self.expires is not None and today > self.expires

    def payload(self) -> dict[str, object]:
        return {
            "product": self.product,
            "tier": str(self.tier.value),
            "licensee": self.licensee,
            "issued": self.issued.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
            "id": self.id,
        }

    def describe(self) -> str:
        until = f"until {self.expires.isoformat()}" if self.expires else "no expiry"
        return f"{self.tier.label} licence for {self.licensee} ({until})"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str, part: str) -> bytes:
    if not text or any(c not in _B64_CHARS for c in text) or len(text) % 4 == 1:
        raise LicenceError(
            f"The licence key is damaged: its {part} is not valid base64url. "
            "Copy the whole key again, exactly as issued."
        )
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise LicenceError(
            f"The licence key is damaged: its {part} is not valid base64url. "
            "Copy the whole key again, exactly as issued."
        ) from None


_B64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def sign(licence: Licence, private_key: Ed25519PrivateKey) -> str:
    body = f"{PREFIX}.{_b64encode(json.dumps(licence.payload(), separators=(',', ':')).encode())}"
    return f"{body}.{_b64encode(private_key.sign(body.encode('ascii')))}"


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """A public key from base64 of its 32 raw bytes (how keys.py embeds them)."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


def public_key_text(key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def verify(
    token: str, public_keys: Sequence[Ed25519PublicKey], today: dt.date | None = None
) -> Licence:
    """The licence in `token`, or LicenceError saying precisely what is wrong.

    `today` given: an expired key is refused (installing). None: expiry is not checked
    (reading the installed key, whose expiry is a state, not an error).
    """
    text = "".join(token.split())
    if not text:
        raise LicenceError("The licence key is empty.")
    if not text.startswith(PREFIX + "."):
        raise LicenceError(
            f"This is not a UNMS licence key: a key starts with '{PREFIX}.'. "
            "Check that you pasted the licence key, not another text."
        )
    parts = text.split(".")
    if len(parts) != 3:
        raise LicenceError(
            "The licence key is incomplete or damaged: it must have three parts separated "
            f"by dots ({PREFIX}.<content>.<signature>). Copy the whole key again."
        )
    _, payload_text, signature_text = parts
    payload_bytes = _b64decode(payload_text, "content")
    signature = _b64decode(signature_text, "signature")
    if len(signature) != 64:
        raise LicenceError(
            "The licence key is damaged: its signature has the wrong length. "
            "Copy the whole key again, exactly as issued."
        )
    body = f"{PREFIX}.{payload_text}".encode("ascii")
    for key in public_keys:
        try:
            key.verify(signature, body)
            break
        except InvalidSignature:
            continue
    else:
        raise LicenceError(
            "The licence key's signature is not valid: the key was altered, damaged, or not "
            "issued for UNMS. Use the key exactly as you received it."
        )
    licence = _licence_from(payload_bytes)
    if licence.product != PRODUCT:
        raise LicenceError(
            f"This licence key is for another product ({licence.product!r}), not UNMS."
        )
    if today is not None:
        if licence.expired(today):
            raise LicenceError(
                f"This licence key expired on {licence.expires:%Y-%m-%d}. "
                "Ask for a renewed key; the current one stays in force until then."
            )
        if licence.issued > today + dt.timedelta(days=1):
            raise LicenceError(
                f"This licence key is dated {licence.issued:%Y-%m-%d}, in the future: "
                "check this server's clock."
            )
    return licence


def _licence_from(payload: bytes) -> Licence:
    # Only reached with a valid signature: a malformed payload here is an issuing bug.
    try:
        data = json.loads(payload)
        tier_text = str(data["tier"])
        expires = data.get("expires")
        product = str(data["product"])
        licence_id = str(data.get("id", ""))
        licensee = str(data["licensee"])
        issued = dt.date.fromisoformat(data["issued"])
        expires_on = dt.date.fromisoformat(expires) if expires else None
    except (ValueError, KeyError, TypeError) as exc:
        raise LicenceError(f"The licence key's content is unreadable ({exc}).") from None
    if tier_text not in Tier.values:
        raise LicenceError(
            f"The licence key is for an unknown tier ({tier_text!r}); this version knows "
            f"{', '.join(Tier.values)}. Update UNMS or ask for a new key."
        )
    return Licence(Tier(tier_text), licensee, issued, expires_on, product, licence_id)
