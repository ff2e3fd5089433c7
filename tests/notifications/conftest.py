"""Loopback receivers for the transports: a real SMTP server (aiosmtpd) and a real HTTP
server (http.server in a thread). Nothing leaves 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notifications.choices import ChannelKind
from tests.notifications.factories import ChannelFactory, RecipientFactory
from tests.ports import free_port


@pytest.fixture(autouse=True)
def _notify_settings(settings: Any) -> None:
    settings.NOTIFY = {
        **settings.NOTIFY,
        "BASE_URL": "http://unms.test",
        "DIGEST_WINDOW_S": 60,
        "LEASE_S": 300,
        "RETRY_BASE_S": 30,
        "RETRY_MAX_S": 3600,
        "MAX_ATTEMPTS": 5,
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@dataclass
class SmtpSink:
    """What the server received; `refuse` makes it answer RCPT with 550."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.sink = SmtpSink("127.0.0.1", port or free_port(kind=socket.SOCK_STREAM))
        self.controller: Controller | None = None

    def start(self) -> SmtpSink:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.sink.port)
        self.controller.start()
        return self.sink

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback, with Django's SMTP backend pointed at it."""
    server = SmtpServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.sink.port
    settings.EMAIL_TIMEOUT = 5
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpSink:
    return smtp_server.sink


@dataclass
class WebhookReceiver:
    url: str
    requests: list[tuple[Any, bytes]] = field(default_factory=list)
    # Status codes to answer, in order; then 200.
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.requests.append((self.headers, body))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"boom")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def email_channel(db: None) -> Any:
    return ChannelFactory.create(name="E-mail", kind=ChannelKind.EMAIL)


@pytest.fixture
def alice(db: None) -> Any:
    return RecipientFactory.create(name="alice", address="alice@example.org")


@pytest.fixture
def bob(db: None) -> Any:
    return RecipientFactory.create(name="bob", address="bob@example.org")
