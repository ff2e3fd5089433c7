"""Webhooks: POST the message's JSON, signed with HMAC-SHA256.

Signature header (Stripe's scheme, so receivers can reuse existing code):
    X-UNMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
The timestamp inside the signed text lets receivers refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from notifications import http
from notifications.choices import ChannelKind
from notifications.transports.base import Transport, TransportError

if TYPE_CHECKING:
    from notifications.messages import Message
    from notifications.models import Recipient

SIGNATURE_HEADER = "X-UNMS-Signature"
# Worth retrying: the receiver is overloaded, rate limiting, or not up yet.
RETRYABLE_STATUS = frozenset({408, 425, 429})


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, tolerance_s: int = 300) -> bool:
    """What a receiver does (also used by the tests)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        t = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - t) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, t, body), f"t={t},v1={fields.get('v1', '')}")


class WebhookTransport(Transport):
    kind = ChannelKind.WEBHOOK

    def notify(self, message: Message, recipient: Recipient) -> dict[str, Any]:
        body = json.dumps(
            message.as_json(recipient, timezone.now()), cls=DjangoJSONEncoder
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self.channel.secret:
            headers[SIGNATURE_HEADER] = sign(self.channel.secret, int(time.time()), body)
        try:
            response = http.post(self.channel.url, body, headers, self.channel.timeout_s)
        except OSError as exc:
            raise TransportError(f"webhook unreachable: {exc}") from exc
        result = {"status": response.status, "response": response.body[:500]}
        if 200 <= response.status < 300:
            return result
        permanent = 400 <= response.status < 500 and response.status not in RETRYABLE_STATUS
        raise TransportError(
            f"webhook answered HTTP {response.status}", permanent=permanent, result=result
        )
