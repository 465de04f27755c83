"""A bad day, tried: PostgreSQL away for a few seconds, Redis restarted. Real servers behind a
proxy the test cuts (tests/utils/tcp_proxy.py), a real worker, the web in a fresh interpreter."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from django.db import connection

from merchants.choices import NotificationStatus
from merchants.models import Notification
from programs.choices import RecomputeStatus
from programs.models import Eligibility, RecomputeRun
from programs.tasks import eligibility_recompute_all
from tests.belts.factories import UserFactory
from tests.integration.test_worker import AS_OF, assert_final_state_correct, build_merchants
from tests.merchants.factories import ApiKeyFactory
from tests.programs.factories import PublishedRuleSetFactory
from tests.utils.tcp_proxy import TcpProxy
from tests.utils.waiting import wait_for


def database_url(port: int) -> str:
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER'] or 'postgres'}"
        f"{':' + settings['PASSWORD'] if settings['PASSWORD'] else ''}"
        f"@127.0.0.1:{port}/{settings['NAME']}"
    )


@pytest.fixture
def postgres_proxy(real_services):
    proxy = TcpProxy(int(connection.settings_dict["PORT"] or 5432))
    yield proxy
    proxy.close()


def test_a_recompute_survives_postgresql_away_for_seconds(start_worker, postgres_proxy):
    """Chunks that lose the database are retried alone; the run finishes, every row right."""
    PublishedRuleSetFactory(criteria=[{"type": "gmv_between", "params": {"min": "1000000"}}])
    total = 600
    build_merchants(total)
    worker = start_worker(concurrency=2, DATABASE_URL=database_url(postgres_proxy.port))
    eligibility_recompute_all.apply_async(
        kwargs={"as_of": AS_OF.isoformat(), "chunk_size": 15}, queue=worker.queue
    )
    wait_for(lambda: Eligibility.objects.count() >= 60, timeout=90, what="the first chunks")

    postgres_proxy.cut()
    time.sleep(4)  # the chunks running and taken meanwhile fail and are retried with backoff
    done_while_away = Eligibility.objects.count()
    postgres_proxy.restore()

    assert done_while_away < total, "the recompute finished before the outage: nothing tested"
    wait_for(lambda: Eligibility.objects.count() == total, timeout=180, what="every row")
    assert_final_state_correct()
    wait_for(
        lambda: RecomputeRun.objects.filter(status=RecomputeStatus.FINISHED).exists(),
        timeout=60,
        what="the run's summary",
    )
    run = RecomputeRun.objects.get()
    assert run.merchants == total
    assert run.chunks_done >= run.chunks == 40
    log = worker.log.read_text()
    assert "Retry in" in log, "no chunk was retried: the outage missed the chunks"


WEB_DRILL = """
import json, os, time
import django
from django.db import close_old_connections
from django.test import Client
from django.test.utils import setup_test_environment
from tests.utils.tcp_proxy import TcpProxy

proxy = TcpProxy(int(os.environ["PG_PORT"]))
os.environ["DATABASE_URL"] = os.environ["DRILL_DATABASE_URL"].replace("PROXY", str(proxy.port))
django.setup()
setup_test_environment()
api = Client(HTTP_AUTHORIZATION="Api-Key " + os.environ["DRILL_KEY"], HTTP_HOST="localhost")
web = Client(HTTP_HOST="localhost")


def probe(name):
    # What every request does under gunicorn (the test client leaves it out): a connection
    # broken by the outage is dropped, not reused.
    close_old_connections()
    merchants = api.get("/api/v1/merchants/")
    health = web.get("/health/", HTTP_ACCEPT="application/json")
    landing = web.get("/portal/login/")
    error = merchants.json().get("error", {}).get("code") if merchants.status_code != 200 else None
    print(json.dumps({
        "when": name,
        "api": [merchants.status_code, merchants.get("Retry-After"), error],
        "health": [health.status_code, health.json().get("Database(alias='default')")],
        "login": landing.status_code,
    }))


probe("before")
proxy.cut()
probe("away")
proxy.restore()
probe("back")
proxy.close()
"""


def test_the_web_answers_503_while_postgresql_is_away_then_serves_again(real_services, run_python):
    key = ApiKeyFactory()
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PG_PORT": str(connection.settings_dict["PORT"] or 5432),
        "DRILL_DATABASE_URL": database_url(0).replace("127.0.0.1:0", "127.0.0.1:PROXY"),
        "DRILL_KEY": key.raw_key,
        "DATABASE_CONNECT_TIMEOUT": "2",
    }

    result = run_python(WEB_DRILL, env=env)

    assert result.returncode == 0, result.stderr
    before, away, back = (json.loads(line) for line in result.stdout.splitlines())
    assert before["api"][0] == 200
    assert before["health"] == [200, "OK"]
    assert away["api"] == [503, "30", "unavailable"]
    assert away["health"][0] == 500
    assert away["health"][1].startswith("Unavailable")
    assert away["login"] == 200  # a page that needs no database still serves
    assert back["api"][0] == 200
    assert back["health"] == [200, "OK"]
    # One warning line per refused request, no traceback.
    assert "database unavailable for GET /api/v1/merchants/" in result.stderr
    assert "Traceback" not in result.stderr


# Redis restarted ----------------------------------------------------------------------------------
@pytest.fixture
def own_redis(real_services, tmp_path):
    """A Redis server of this test's own (the suite's is shared by parallel workers)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is needed on the PATH for the Redis drill")
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

    def start() -> subprocess.Popen:
        process = subprocess.Popen(  # noqa: S603 - the machine's redis-server
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port, socket_timeout=1)
        wait_for(lambda: _pings(client), timeout=20, what="redis-server")
        return process

    state = {"process": start()}

    class Server:
        url = f"redis://127.0.0.1:{port}/0"

        @staticmethod
        def kill() -> None:
            """SIGKILL: what it held (nothing on disk) is gone."""
            state["process"].send_signal(signal.SIGKILL)
            state["process"].wait(timeout=10)

        @staticmethod
        def start() -> None:
            state["process"] = start()

    yield Server
    state["process"].send_signal(signal.SIGKILL)
    state["process"].wait(timeout=10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


WRITER = """
import os, sys
import django
django.setup()
from merchants.choices import NotificationKind
from merchants.services.notifications import (
    NotificationDraft, notifications_create, notifications_queue_rows, notifications_stale,
)
from django.test import Client

action, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if action == "write":
    notifications_create([
        NotificationDraft(dedupe_key=f"drill:{n}", kind=NotificationKind.GENERAL,
                          recipient_id=int(os.environ["DRILL_USER"]))
        for n in range(first, first + count)
    ])
    print("written", Client(HTTP_HOST="localhost").get("/portal/login/").status_code)
elif action == "sweep":  # what beat's notifications-sweep does
    rows = notifications_stale()
    notifications_queue_rows(rows)
    print("swept", len(rows))
"""


def test_a_redis_restart_loses_no_notification(start_worker, own_redis, run_python):
    """The worker reconnects by itself, the web keeps serving, and what the restart lost from
    the queue the outbox's sweeper queues again: every notification delivered once."""
    user = UserFactory()
    worker = start_worker(CELERY_BROKER_URL=own_redis.url, CELERY_RESULT_BACKEND=own_redis.url)
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(int(connection.settings_dict["PORT"] or 5432)),
        "CELERY_BROKER_URL": own_redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_NOTIFY_QUEUE": worker.queue,
        "CELERY_TASK_DEFAULT_QUEUE": worker.queue,
        "NOTIFICATION_SWEEP_AFTER": "1",
        "DRILL_USER": str(user.pk),
    }

    def write(action: str, first: int = 0, count: int = 0) -> str:
        code = f"import sys; sys.argv = ['w', {action!r}, '{first}', '{count}']\n" + WRITER
        result = run_python(code, env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def delivered() -> int:
        return Notification.objects.filter(status=NotificationStatus.DELIVERED).count()

    assert "written 200" in write("write", 0, 5)
    wait_for(lambda: delivered() == 5, timeout=30, what="the first five")

    # Queued while the worker is away from the broker; then the broker dies with them.
    os.kill(worker.process.pid, signal.SIGSTOP)
    assert "written 200" in write("write", 5, 5)
    own_redis.kill()
    # While it is down: written all the same, the page served; queueing them failed (logged).
    assert "written 200" in write("write", 10, 5)
    own_redis.start()  # empty
    os.kill(worker.process.pid, signal.SIGCONT)
    time.sleep(2)
    assert delivered() == 5
    assert Notification.objects.filter(status=NotificationStatus.PENDING).count() == 10

    time.sleep(1)  # older than the sweeper's delay (1 s here)
    assert "swept 10" in write("sweep")
    # The worker reconnected to the new server by itself and delivers them.
    wait_for(lambda: delivered() == 15, timeout=60, what="the ten the outage held back")
    assert Notification.objects.count() == 15
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
