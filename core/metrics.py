"""Counters and histograms every process adds to (web, workers, on any machine), kept in one
Redis hash so ``/metrics/`` reports the platform's totals whichever instance is scraped.

Prometheus' own client keeps a process's metrics in that process (or, in multiprocess mode, in
files on one machine): fine for the web's requests, which every instance reports for itself, but
task runs happen in workers on other machines that Prometheus may not reach. So these few
platform-wide series are written here (one pipelined round trip per event) and read by
``config.metrics`` at scrape time.

Redis is ``METRICS_REDIS_URL`` (the broker by default); without one (the embedded default, tasks
run in-process) nothing is recorded. Recording never fails the caller: a Redis that is down or
hangs (a short socket timeout) costs one warning per minute in the log, and the counts it missed.
Counters restart from zero when Redis loses them (it keeps nothing on disk): Prometheus' rate()
and increase() treat that as a reset.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

# Seconds: from a webhook's answer to a chunk of the nightly recompute.
BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
SOCKET_TIMEOUT = 0.5
_last_warning = 0.0


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT
    )


def client() -> redis.Redis | None:
    url = getattr(settings, "METRICS_REDIS_URL", "")
    return _client(url) if url.startswith(("redis://", "rediss://", "unix://")) else None


def key() -> str:
    return getattr(settings, "METRICS_KEY", "belt-ops:metrics")


def _field(metric: str, labels: Mapping[str, str], suffix: str) -> str:
    return f"{metric}\t{json.dumps(dict(sorted(labels.items())), ensure_ascii=False)}\t{suffix}"


def _send(fields: Mapping[str, int | float]) -> None:
    """Add each amount to its field: an int with HINCRBY, a float with HINCRBYFLOAT."""
    global _last_warning
    connection = client()
    if connection is None:
        return
    try:
        pipe = connection.pipeline(transaction=False)
        for field, amount in fields.items():
            if isinstance(amount, float):
                pipe.hincrbyfloat(key(), field, amount)
            else:
                pipe.hincrby(key(), field, amount)
        pipe.execute()
    except redis.RedisError as error:
        now = time.monotonic()
        if now - _last_warning > 60:
            _last_warning = now
            logger.warning("metrics not recorded (Redis): %s", error)


def count(metric: str, labels: Mapping[str, str], amount: int = 1) -> None:
    """Add ``amount`` to the counter ``metric`` with these labels."""
    _send({_field(metric, labels, "total"): amount})


def observe(metric: str, labels: Mapping[str, str], seconds: float) -> None:
    """One observation of the histogram ``metric`` (its count, sum and cumulative buckets)."""
    fields: dict[str, int | float] = {
        _field(metric, labels, "count"): 1,
        _field(metric, labels, "sum"): float(seconds),
    }
    for bound in BUCKETS:
        if seconds <= bound:
            fields[_field(metric, labels, f"le={bound}")] = 1
    _send(fields)


@dataclass
class Series:
    kind: str  # "counter" or "histogram"
    labels: dict[str, str]
    value: float = 0.0  # a counter's total
    count: float = 0.0
    sum: float = 0.0
    buckets: dict[float, float] | None = None


def read() -> dict[str, list[Series]]:
    """Every recorded series by metric name; empty without Redis. Raises ``redis.RedisError``."""
    connection = client()
    if connection is None:
        return {}
    raw = connection.hgetall(key())
    series: dict[tuple[str, str], Series] = {}
    for field, amount in raw.items():
        text = field.decode() if isinstance(field, bytes) else field
        metric, labels, suffix = text.split("\t")
        value = float(amount)
        kind = "counter" if suffix == "total" else "histogram"
        item = series.setdefault((metric, labels), Series(kind, json.loads(labels)))
        if suffix == "total":
            item.value = value
        elif suffix == "count":
            item.count = value
        elif suffix == "sum":
            item.sum = value
        else:
            item.buckets = item.buckets or {}
            item.buckets[float(suffix.removeprefix("le="))] = value
    by_metric: dict[str, list[Series]] = {}
    for (metric, _labels), item in sorted(series.items()):
        by_metric.setdefault(metric, []).append(item)
    return by_metric
