"""`manage.py issue_licence --private-key FILE --tier 50 --licensee NAME [--expires DATE]`:
sign a licence key. For the project's maintainers, who hold the private key offline; it
is never part of the code or of a deployment.

`--new-key-pair FILE` writes a new private key (PEM, mode 0600) and prints the public key
to add to licensing/keys.py.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand, CommandError, CommandParser

from licensing.tokens import PRODUCT, Licence, Tier, public_key_text, sign


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CommandError(f"cannot read the private key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CommandError(f"{path} is not an Ed25519 private key")
    return key


class Command(BaseCommand):
    help = "Sign a licence key with the project's private key (maintainers only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--private-key", type=Path, help="Ed25519 private key, PEM")
        parser.add_argument("--tier", choices=[t for t in Tier.values if t != Tier.FREE])
        parser.add_argument("--licensee", help="who the licence is for, e.g. the company")
        parser.add_argument("--expires", type=_date, help="last valid day, YYYY-MM-DD")
        parser.add_argument("--issued", type=_date, help="issue date (default: today)")
        parser.add_argument("--product", default=PRODUCT, help=f"default {PRODUCT}")
        parser.add_argument(
            "--new-key-pair", type=Path, metavar="FILE", help="write a new private key"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["new_key_pair"]:
            self._new_key_pair(opts["new_key_pair"])
            return
        missing = [n for n in ("private_key", "tier", "licensee") if not opts[n]]
        if missing:
            raise CommandError("missing: " + ", ".join("--" + n.replace("_", "-") for n in missing))
        licence = Licence(
            tier=Tier(opts["tier"]),
            licensee=opts["licensee"],
            issued=opts["issued"] or dt.date.today(),
            expires=opts["expires"],
            product=opts["product"],
        )
        self.stdout.write(sign(licence, load_private_key(opts["private_key"])))

    def _new_key_pair(self, path: Path) -> None:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise CommandError(f"cannot create {path}: {exc.strerror}") from None
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        self.stdout.write(f"private key written to {path}; keep it offline")
        self.stdout.write(f"public key for licensing/keys.py: {public_key_text(key.public_key())}")
