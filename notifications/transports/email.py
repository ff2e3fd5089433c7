"""E-mail through Django's mail backend (SMTP in production, console in the demo).

One connection is kept open for a delivery batch: a digest storm to ten recipients is
ten messages over one SMTP session, not ten handshakes.
"""

from __future__ import annotations

import contextlib
import smtplib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from notifications.choices import ChannelKind
from notifications.transports.base import Transport, TransportError

if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend

    from notifications.messages import Message
    from notifications.models import Recipient


class EmailTransport(Transport):
    kind = ChannelKind.EMAIL
    _connection: BaseEmailBackend | None = None

    def is_noop(self, recipient: Recipient) -> str:
        return "" if recipient.email else "recipient has no e-mail address"

    def _open(self) -> BaseEmailBackend:
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
        return self._connection

    def notify(self, message: Message, recipient: Recipient) -> dict[str, Any]:
        context = {"message": message, "recipient": recipient, "items": message.items}
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=render_to_string("notifications/email/message.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
            connection=self._open(),
            # The first id and the count, not every id: a digest of 800 alarms would
            # exceed SMTP's 998-character line limit (RFC 5321), found by the bench.
            headers={
                "X-UNMS-Notification": str(message.notification_ids[0]),
                "X-UNMS-Notification-Count": str(len(message.notification_ids)),
            },
        )
        mail.attach_alternative(
            render_to_string("notifications/email/message.html", context), "text/html"
        )
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise TransportError(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx is the server's final word on this message; 4xx is "try later".
            self.close()
            raise TransportError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TransportError(f"SMTP unavailable: {exc}") from exc
        return {"to": recipient.email}

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._connection.close()
            self._connection = None
