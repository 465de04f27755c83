"""A real Celery worker over Redis, against the test's PostgreSQL database.

These tests need what production has: PostgreSQL (the worker is another process and must see
the test's committed rows) and a Redis broker. Without them (``make test`` on a bare machine
with the embedded SQLite default) they are skipped with the reason; under CI (``CI`` set) a
missing service is an error, never a skip."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.utils.services import skip_without

BASE_DIR = Path(__file__).resolve().parents[2]


def _services_missing() -> str | None:
    if connection.vendor != "postgresql":
        return "needs DATABASE_URL pointing at PostgreSQL (a worker cannot share SQLite memory)"
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "needs CELERY_BROKER_URL pointing at Redis"

    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at CELERY_BROKER_URL does not answer: {error}"
    return None


@pytest.fixture
def real_services(transactional_db) -> None:
    missing = _services_missing()
    if missing:
        skip_without(missing)


class Worker:
    """One ``celery worker`` process in its own session, so SIGKILL reaches its children too."""

    def __init__(self, queue: str, env: dict[str, str], log: Path) -> None:
        self.queue = queue
        self.broker_url = env["CELERY_BROKER_URL"]
        self.name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.log = log
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                queue,
                "-n",
                self.name,
                "--concurrency",
                env.pop("_CONCURRENCY", "2"),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log.read_text()[-4000:]}")
            if self.broker_url != celery_app.conf.broker_url:
                # A broker of the test's own: this process's control channel cannot reach it;
                # the worker says it is ready in its log once it consumes.
                if f"{self.name} ready." in self.log.read_text():
                    return
                time.sleep(0.2)
            elif celery_app.control.ping(destination=[self.name], timeout=0.5):
                return
        raise RuntimeError(f"worker not ready in {timeout}s:\n{self.log.read_text()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool: no shutdown, no acknowledgements."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(real_services, tmp_path, settings) -> Iterator[Callable[..., Worker]]:
    """Start workers on a queue of this test's own (parallel test runs share the broker). Every
    queue group (config/task_routes.py) is routed to it, from the test and from the workers,
    unless a test passes its own names. Nothing runs eagerly."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    settings.CELERY_NOTIFY_QUEUE = settings.CELERY_RECOMPUTE_QUEUE = queue
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER'] or 'postgres'}"
        f"{':' + database['PASSWORD'] if database['PASSWORD'] else ''}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    workers: list[Worker] = []

    def start(*, concurrency: int = 2, queues: str | None = None, **extra_env: str) -> Worker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND or settings.CELERY_BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "CELERY_NOTIFY_QUEUE": settings.CELERY_NOTIFY_QUEUE,
            "CELERY_RECOMPUTE_QUEUE": settings.CELERY_RECOMPUTE_QUEUE,
            "_CONCURRENCY": str(concurrency),
            **extra_env,
        }
        worker = Worker(queues or queue, env, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    celery_app.conf.task_always_eager = eager
    for worker in workers:
        worker.stop()
    names = {
        queue,
        settings.CELERY_NOTIFY_QUEUE,
        settings.CELERY_RECOMPUTE_QUEUE,
        settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    with celery_app.connection_for_write() as conn:
        for name in names:
            conn.default_channel.queue_purge(name)
