"""The receiver printed in docs/api.md, run as it is against real deliveries: what integrators
copy must verify our signatures, refuse stale ones and ignore a delivery it handled already."""

import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from merchants.choices import NotificationStatus
from merchants.services.notifications import notifications_deliver
from merchants.webhook_http import signature
from merchants.webhooks import webhook_ping
from tests.merchants.factories import WebhookEndpointFactory

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_receiver() -> dict:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### A receiver") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {"__name__": "documented_receiver"}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


@pytest.fixture
def documented() -> Iterator[SimpleNamespace]:
    receiver = documented_receiver()
    events: list[dict] = []
    receiver["handle_event"] = events.append
    server = ThreadingHTTPServer(("127.0.0.1", 0), receiver["WebhookHandler"])
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield SimpleNamespace(
            module=receiver,
            events=events,
            url=f"http://127.0.0.1:{server.server_address[1]}/belt-ops",
        )
    finally:
        server.shutdown()
        server.server_close()


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - 127.0.0.1
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db
def test_the_documented_receiver_accepts_ours_and_refuses_the_rest(documented):
    endpoint = WebhookEndpointFactory(url=documented.url)
    documented.module["SECRET"] = endpoint.secret
    delivery = webhook_ping(endpoint=endpoint)

    notifications_deliver(notification_ids=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == NotificationStatus.DELIVERED
    assert [event["id"] for event in documented.events] == [str(delivery.delivery_id)]

    body = b'{"id": "%s", "event": "ping", "data": {"merchant": null}}' % (
        str(delivery.delivery_id).encode()
    )

    def headers(secret=endpoint.secret, at=None, delivery_id=str(delivery.delivery_id)):
        return {
            "Content-Type": "application/json",
            "Belt-Ops-Delivery": delivery_id,
            "Belt-Ops-Signature": signature(secret, int(at or time.time()), body),
        }

    # The same delivery again (a retry, freshly signed): acknowledged, not handled twice.
    assert post(documented.url, body, headers()) == 200
    assert len(documented.events) == 1
    # Stale, wrong key, no signature, a tampered body: refused.
    assert post(documented.url, body, headers(at=time.time() - 301, delivery_id="x")) == 400
    assert post(documented.url, body, headers(secret="whsec_other", delivery_id="y")) == 400
    assert post(documented.url, body, {"Belt-Ops-Delivery": "z"}) == 400
    assert post(documented.url, body + b" ", headers(delivery_id="w")) == 400
    # A new delivery, recently signed: handled.
    assert post(documented.url, body, headers(at=time.time() - 250, delivery_id="v")) == 200
    assert len(documented.events) == 2
