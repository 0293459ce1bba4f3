"""Real receivers on localhost for the notify tests: an HTTP server (webhooks, the SMS
gateway) and an SMTP server (aiosmtpd), each on a free port, stopped after the test."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import free_port


@pytest.fixture(autouse=True)
def _notify_settings(settings, tmp_path, monkeypatch):
    """Nothing configured unless a test says so; outbox.log goes to the test's own dir."""
    settings.DATA_DIR = tmp_path
    settings.KEFU_SMTP_URL = ""
    settings.KEFU_MAIL_FROM = ""
    settings.KEFU_SMS_GATEWAY_URL = ""
    settings.KEFU_SMS_GATEWAY_TOKEN = ""
    # A proxy configured on the machine must not see requests to our local receivers.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Call a service as a request would: its transaction commits, then delivery runs."""

    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HttpReceiver:
    """Records every POST; answers with the queued status codes, then with `default`."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default: int = 200


@pytest.fixture
def http_receiver():
    receiver = HttpReceiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"boom")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join()


@dataclass
class SmtpReceiver:
    port: int
    messages: list = field(default_factory=list)  # (envelope, parsed email.message)
    logins: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def smtp_server():
    """aiosmtpd on 127.0.0.1 accepting AUTH without TLS (the test is on loopback)."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    receiver = SmtpReceiver(port=free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            parsed = message_from_bytes(envelope.original_content, policy=policy.default)
            receiver.messages.append((envelope, parsed))
            return "250 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        receiver.logins.append((login, password))
        return AuthResult(success=(login, password) == ("kefu@example.cn", "p@ss:word"))

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=receiver.port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    yield receiver
    controller.stop()
