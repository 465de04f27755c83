"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 (port 0) in a thread, which
records every request and answers from a script of (status, delay) replies. With ``tls`` it
serves HTTPS with the test-only self-signed certificate in ``tls/`` (for ``receiver.test`` and
127.0.0.1), which a test trusts by pointing ``SSL_CERT_FILE`` at ``TLS_CERT``."""

from __future__ import annotations

import hashlib
import hmac
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TLS_DIR = Path(__file__).resolve().parent / "tls"
TLS_CERT = TLS_DIR / "receiver-test-only.crt"
TLS_KEY = TLS_DIR / "receiver-test-only.key"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self, server: ThreadingHTTPServer, tls: bool = False) -> None:
        self.server = server
        self.tls = tls
        self.requests: list[Received] = []
        self.replies: deque[tuple[int, float]] = deque()
        self.default: tuple[int, float] = (200, 0.0)
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hooks/belt-ops", host: str = "127.0.0.1") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def reply(self, *replies: int | tuple[int, float]) -> None:
        """Answer the next requests with these statuses (or (status, seconds to wait first))."""
        for reply in replies:
            self.replies.append(reply if isinstance(reply, tuple) else (reply, 0.0))

    def next_reply(self) -> tuple[int, float]:
        with self.lock:
            return self.replies.popleft() if self.replies else self.default


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, delay = receiver.next_reply()
        with receiver.lock:
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
        if delay:
            time.sleep(delay)
        answer = b"ok" if status < 400 else b"refused by the test receiver"
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:  # the sender gave up waiting (a timeout test)
            pass

    def log_message(self, format: str, *args) -> None:  # quiet
        pass


@contextmanager
def running_receiver(tls: bool = False) -> Iterator[Receiver]:
    """A receiver listening until the block ends (the ``receiver`` fixture of the conftests)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS_CERT, TLS_KEY)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.receiver = Receiver(server, tls=tls)  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server.receiver  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def verify_signature(header: str, body: bytes, secret: str) -> int:
    """What a receiver does (docs/api.md): the timestamp, if the v1 signature is right."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"]), "signature does not verify"
    return int(parts["t"])
