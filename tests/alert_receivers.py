"""Real local receivers for alert tests: an SMTP server and an HTTP webhook endpoint.

Both listen on 127.0.0.1 on a free port and record what they receive, so tests can assert on
the actual email and JSON that left the code.

Use from a test module in ``tests/`` (pytest puts ``tests/`` on ``sys.path``)::

    from alert_receivers import alert_env, smtp_receiver, webhook_receiver  # noqa: F401

    def test_something(alert_env, smtp_receiver, webhook_receiver):
        ...  # alert_env has pointed every SEND_ALERT_* variable at the two receivers
        smtp_receiver.wait_for(1)                 # -> list[email.message.EmailMessage]
        smtp_receiver.messages[0]["Subject"]
        webhook_receiver.posts[0].json            # parsed JSON body

Fixtures (all function-scoped):

- ``smtp_receiver``: ``SmtpReceiver``; ``.host``, ``.port``, ``.messages`` (EmailMessage list),
  ``.stop()`` / ``.start()`` to make the port refuse connections and come back on the same port.
- ``SmtpReceiver(credentials=(user, password))``: start/stop it yourself for a server that
  requires a login; ``.logins`` records each attempt.
- ``webhook_receiver``: ``WebhookReceiver``; ``.url``, ``.posts`` (``ReceivedPost`` with ``path``,
  ``headers``, ``body``, ``json``), ``.status`` (HTTP status to answer with, default 200).
- ``closed_port``: a TCP port on 127.0.0.1 with nothing listening.
- ``alert_env``: sets ``SEND_ALERT_*`` and ``SEND_UI_BASE_URL`` (``UI_BASE_URL`` below) for both
  receivers via ``monkeypatch`` and returns the dict it set; delete a key with
  ``monkeypatch.delenv`` to switch a channel off.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

LOCALHOST = "127.0.0.1"
UI_BASE_URL = "http://dagster.example.test:3000"
ALERT_FROM = "dagster@send.example.test"
ALERT_TO = ("data-team@send.example.test", "duty@send.example.test")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCALHOST, 0))
        return probe.getsockname()[1]


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class SmtpReceiver:
    """aiosmtpd server that keeps every message it accepts.

    With ``credentials=(user, password)`` it requires AUTH (allowed without TLS for the test;
    aiosmtpd warns about that) and records each login attempt in ``logins``.
    """

    def __init__(self, port: int | None = None, credentials: tuple[str, str] | None = None) -> None:
        self.host = LOCALHOST
        self.port = port or free_port()
        self.credentials = credentials
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (mail_from, rcpt_tos)
        self.logins: list[tuple[str, bool]] = []  # (user, accepted)
        self._controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        user = auth_data.login.decode()
        accepted = (user, auth_data.password.decode()) == self.credentials
        self.logins.append((user, accepted))
        # handled=False: aiosmtpd itself answers 235 or 535.
        return AuthResult(success=accepted, handled=False)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd handler hook
        # SMTP puts CRLF on the wire; store "\n" line ends so tests can compare plain strings.
        content = envelope.content.replace(b"\r\n", b"\n")
        message = email.message_from_bytes(content, policy=email.policy.default)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        auth = (
            {
                "authenticator": self._authenticate,
                "auth_require_tls": False,
                "auth_required": True,
            }
            if self.credentials
            else {}
        )
        self._controller = Controller(self, hostname=self.host, port=self.port, **auth)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[email.message.EmailMessage]:
        _wait_until(lambda: len(self.messages) >= count, timeout)
        return self.messages


@dataclass
class ReceivedPost:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


class WebhookReceiver:
    """HTTP server that answers POSTs with ``status`` and keeps each request."""

    def __init__(self) -> None:
        self.posts: list[ReceivedPost] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                receiver.posts.append(ReceivedPost(self.path, dict(self.headers), self.rfile.read(length)))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"1" if receiver.status < 400 else b"error")

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer((LOCALHOST, 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://{LOCALHOST}:{self.port}/hooks/alerts/secret-token"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedPost]:
        _wait_until(lambda: len(self.posts) >= count, timeout)
        return self.posts


@pytest.fixture
def smtp_receiver():
    receiver = SmtpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def closed_port() -> int:
    return free_port()


@pytest.fixture
def alert_env(monkeypatch, smtp_receiver, webhook_receiver) -> dict[str, str]:
    env = {
        "SEND_ALERT_SMTP_HOST": smtp_receiver.host,
        "SEND_ALERT_SMTP_PORT": str(smtp_receiver.port),
        "SEND_ALERT_SMTP_TLS": "none",
        "SEND_ALERT_FROM": ALERT_FROM,
        "SEND_ALERT_TO": ", ".join(ALERT_TO),
        "SEND_ALERT_WEBHOOK_URL": webhook_receiver.url,
        "SEND_UI_BASE_URL": UI_BASE_URL,
    }
    for name in ("SEND_ALERT_SMTP_USER", "SEND_ALERT_SMTP_PASSWORD", "SEND_ALERT_WEBHOOK_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
