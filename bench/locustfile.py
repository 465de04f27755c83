"""The users of ``python -m bench load`` (locust): merchants on their portal home, integrations
reading the main API lists (first pages and deep ones, by cursor) and pushing monthly metrics in
bulk. Configured by ``bench.load`` through the environment; not imported by the project."""

from __future__ import annotations

import base64
import json
import os
import random

from locust import HttpUser, between, task

API_KEY = os.environ["BENCH_LOAD_API_KEY"]
SESSION = os.environ["BENCH_LOAD_SESSION"]
MONTH = os.environ["BENCH_LOAD_MONTH"]
LOW = int(os.environ["BENCH_LOAD_MERCHANT_LOW"])
HIGH = int(os.environ["BENCH_LOAD_MERCHANT_HIGH"])
BATCH = int(os.environ.get("BENCH_LOAD_BATCH", "500"))
# A user's think time between requests, at most (a third of it at least); 0: none, each user
# sends its next request as soon as the last is answered (the server's capacity).
WAIT = float(os.environ.get("BENCH_LOAD_WAIT", "0.6"))
API = {"Authorization": f"Api-Key {API_KEY}"}


def cursor_at(position: int) -> str:
    """DRF's cursor for "after id ``position``" (rest_framework.pagination.CursorPagination)."""
    return base64.b64encode(f"p={position}".encode()).decode()


class Merchant(HttpUser):
    """A merchant's operator on the portal: the home page, the page every visit starts on."""

    weight = 3
    wait_time = between(WAIT / 3, WAIT)

    def on_start(self) -> None:
        self.client.cookies.set("sessionid", SESSION)

    @task
    def home(self) -> None:
        self.client.get("/portal/", name="portal home", allow_redirects=False)


class Reader(HttpUser):
    """An integration reading the lists: first pages, and pages far in by cursor."""

    weight = 3
    wait_time = between(WAIT / 3, WAIT)

    @task(2)
    def merchants(self) -> None:
        self.client.get("/api/v1/merchants/?page_size=50", headers=API, name="api merchants")

    @task(1)
    def merchants_deep(self) -> None:
        cursor = cursor_at(random.randint(LOW, HIGH))
        self.client.get(
            f"/api/v1/merchants/?page_size=50&cursor={cursor}",
            headers=API,
            name="api merchants deep",
        )

    @task(2)
    def eligibility(self) -> None:
        self.client.get("/api/v1/eligibility/?page_size=50", headers=API, name="api eligibility")

    @task(1)
    def metrics(self) -> None:
        self.client.get("/api/v1/metrics/?page_size=50", headers=API, name="api metrics")


class Ingest(HttpUser):
    """An integration pushing a month's figures for a run of merchants, batch after batch."""

    weight = 1
    wait_time = between(WAIT, 2 * WAIT)

    @task
    def bulk(self) -> None:
        start = random.randint(LOW, max(LOW, HIGH - BATCH))
        rows = [
            {
                "merchant": merchant_id,
                "month": MONTH,
                "gmv": f"{100_000 + merchant_id % 9_000}.50",
                "orders": 100 + merchant_id % 50,
                "live_gmv": f"{10_000 + merchant_id % 900}.00",
                "live_sessions": merchant_id % 30,
                "followers": 1000 + merchant_id % 5000,
                "refund_rate": "0.0312",
                "new_listings": merchant_id % 12,
            }
            for merchant_id in range(start, start + BATCH)
        ]
        self.client.post(
            "/api/v1/metrics/bulk/",
            data=json.dumps({"rows": rows}),
            headers={**API, "Content-Type": "application/json"},
            name=f"api metrics bulk ({BATCH} rows)",
        )
