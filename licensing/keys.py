"""The public keys that verify licence keys. The private key is never in this repository:
the project's maintainers keep it offline and issue keys with `manage.py issue_licence`.

Several keys may be listed (rotation: a new key is added, keys signed by the old one stay
valid until it is removed). To rotate: `manage.py issue_licence --new-key-pair FILE`
prints the public key to add here.

Tests verify with a throwaway key pair of their own through the setting
`UNMS["LICENCE_TEST_PUBLIC_KEYS"]`, which is not read from the environment: a deployment
cannot swap the verifying key without changing the code.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings

from licensing.tokens import public_key_from_text

#: base64 of the raw 32-byte Ed25519 public keys.
EMBEDDED_PUBLIC_KEYS: tuple[str, ...] = ("uVQdf2LUa1VCfZBr5ECjh1mj04LNrPcD+CMS/zU1u8g=",)


def verifying_keys() -> list[Ed25519PublicKey]:
    test_keys = settings.UNMS.get("LICENCE_TEST_PUBLIC_KEYS")
    texts = test_keys if test_keys else EMBEDDED_PUBLIC_KEYS
    return [public_key_from_text(t) for t in texts]
