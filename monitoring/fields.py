"""Secrets encrypted at rest: SNMP communities today, webhook secrets and the like next.

`EncryptedTextField` stores ``enc1:<Fernet token>`` (AES-128-CBC + HMAC-SHA256, random IV:
the same community encrypts differently every time, so equal secrets cannot be spotted in
a dump). Python code sees plain text: reads decrypt, writes encrypt. A stored value
without the prefix is read as plain text, so rows written before encryption still work
until the migration (or the next save) encrypts them.

The key comes from the environment, `UNMS_SECRET_KEY_ENCRYPTION` (settings
`SECRET_ENCRYPTION_KEYS`): one Fernet key, or several separated by commas to rotate (the
first encrypts, all decrypt; `manage.py reencrypt_secrets` re-writes every row with the
first). Unset, a key is derived from DJANGO_SECRET_KEY, and `check --deploy` warns.

Consequences, on purpose: the database cannot filter or search on these columns, and a
dump or backup of the database alone does not reveal the communities.
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.validators import MaxLengthValidator
from django.db import models

PREFIX = "enc1:"


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key (wrong or lost key)."""


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"unms secret fields v1")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


@functools.cache
def _box(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    try:
        fernets = [Fernet(k.strip().encode()) for k in keys if k.strip()]
    except ValueError as exc:
        raise ImproperlyConfigured(
            "UNMS_SECRET_KEY_ENCRYPTION must be Fernet keys (32 url-safe base64-encoded "
            "bytes; make one with: python -c 'from cryptography.fernet import Fernet; "
            f"print(Fernet.generate_key().decode())'): {exc}"
        ) from None
    return MultiFernet(fernets or [Fernet(_derived_key())])


def box() -> MultiFernet:
    keys = tuple(getattr(settings, "SECRET_ENCRYPTION_KEYS", ()) or ())
    # Cached per key set: settings overrides in tests change the key, and the cache follows.
    return _box(keys, settings.SECRET_KEY if not keys else "")


def encrypt(plain: str) -> str:
    return PREFIX + box().encrypt(plain.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before encryption: plain text
    try:
        return box().decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
    except (InvalidToken, ValueError):
        # Never the value in the message: it is a secret, even encrypted.
        raise SecretDecryptionError(
            "a stored secret cannot be decrypted: UNMS_SECRET_KEY_ENCRYPTION is not the key "
            "it was encrypted with (list the old key after the new one to rotate)"
        ) from None


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


class EncryptedTextField(models.TextField):
    """A text secret, encrypted in the database, plain in Python. Never use it in lookups.

    `max_length` limits the plain text (forms and full_clean); the column is TEXT because
    the ciphertext is longer. `secret = True` tells the audit log to mask it.
    """

    secret = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            # Empty stays empty: "no trap community" must remain visible as such.
            return value
        # Always encrypted, even text that looks encrypted: Python only ever holds plain text.
        return encrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in ("isnull", "exact"):
            # Encrypted with a random IV: no lookup but emptiness can mean anything.
            return None
        return super().get_lookup(lookup_name)
