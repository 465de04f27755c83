"""``/health/`` says whether this instance may take traffic, and which dependency stops it.

Failures that need another database (unreachable, unmigrated) or other settings (production) are
probed in a fresh interpreter configured by its environment, as a real deployment would be.
"""

import datetime
import json
import socket
import threading

import pytest
from django.utils import timezone

from merchants.choices import NotificationStatus
from merchants.models import Notification
from programs.choices import RecomputeStatus, RecomputeTrigger
from programs.models import RecomputeRun
from tests.config.test_settings import PRODUCTION
from tests.merchants.factories import NotificationFactory

DATABASE = "Database(alias='default')"
MIGRATIONS = "Migrations(alias='default')"
CACHE = "Cache(alias='default')"
BROKER_NOT_USED = "CeleryBroker(not used: tasks run eagerly)"
STATIC = "StaticFiles()"
OUTBOX = "OutboxBacklog()"
NIGHTLY = "NightlyRecompute()"

# Prints one JSON line per probe: status, JSON body (if any) and redirect target.
PROBE = """
import json

import django
from django.core.management import call_command
from django.test import Client
from django.test.utils import setup_test_environment

django.setup()
setup_test_environment()


def probe(path="/health/", host="testserver"):
    response = Client().get(path, HTTP_ACCEPT="application/json", HTTP_HOST=host)
    is_json = response.get("Content-Type") == "application/json"
    print(json.dumps({
        "status": response.status_code,
        "body": response.json() if is_json else None,
        "location": response.get("Location"),
    }))
"""


def probe_in_subprocess(run_python, env: dict[str, str], steps: str) -> list[dict]:
    result = run_python(PROBE + steps, env=env)
    assert result.returncode == 0, result.stderr
    probes = [json.loads(line) for line in result.stdout.splitlines()]
    for probed in probes:
        probed["stderr"] = result.stderr  # what the server logged, for a failing assertion
    return probes


def nightly_run(finished_ago: datetime.timedelta) -> RecomputeRun:
    finished_at = timezone.now() - finished_ago
    return RecomputeRun.objects.create(
        trigger=RecomputeTrigger.NIGHTLY,
        status=RecomputeStatus.FINISHED,
        as_of=finished_at.date(),
        started_at=finished_at - datetime.timedelta(minutes=3),
        finished_at=finished_at,
    )


# Committed (transaction=True): the checks run in threads, on connections of their own.
@pytest.mark.django_db(transaction=True)
def test_healthy_on_a_migrated_database(client):
    nightly_run(datetime.timedelta(hours=5))

    response = client.get("/health/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["X-Health-Status"] == "ok"
    assert response.json() == {
        DATABASE: "OK",
        MIGRATIONS: "OK",
        CACHE: "OK",
        BROKER_NOT_USED: "OK",
        STATIC: "OK",
        OUTBOX: "OK",
        NIGHTLY: "OK",
    }


# Committed (transaction=True): the checks run in threads, on connections of their own.
@pytest.mark.django_db(transaction=True)
def test_degraded_not_down_while_the_nightly_recompute_is_missing_or_stale(client, settings):
    settings.HEALTH_RECOMPUTE_MAX_AGE_HOURS = 26
    never = client.get("/health/", HTTP_ACCEPT="application/json")
    # A run that is not nightly, or has not finished, does not count.
    RecomputeRun.objects.create(
        trigger=RecomputeTrigger.PUBLISH,
        status=RecomputeStatus.FINISHED,
        as_of=timezone.localdate(),
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    nightly_run(datetime.timedelta(hours=30))
    RecomputeRun.objects.create(
        trigger=RecomputeTrigger.NIGHTLY, as_of=timezone.localdate(), started_at=timezone.now()
    )
    stale = client.get("/health/", HTTP_ACCEPT="application/json")
    nightly_run(datetime.timedelta(hours=25))
    fresh = client.get("/health/", HTTP_ACCEPT="application/json")

    assert (never.status_code, never["X-Health-Status"]) == (200, "degraded")
    assert never.json()[NIGHTLY] == "Warning: No nightly recompute has finished yet"
    assert (stale.status_code, stale["X-Health-Status"]) == (200, "degraded")
    assert stale.json()[NIGHTLY] == (
        "Warning: The last nightly recompute finished 30 h ago (more than 26 h)"
    )
    assert stale.json()[DATABASE] == "OK"
    assert (fresh.status_code, fresh["X-Health-Status"], fresh.json()[NIGHTLY]) == (
        200,
        "ok",
        "OK",
    )


# Committed (transaction=True): the checks run in threads, on connections of their own.
@pytest.mark.django_db(transaction=True)
def test_degraded_while_more_notifications_wait_than_the_limit(client, settings):
    settings.HEALTH_OUTBOX_BACKLOG_MAX = 3
    settings.NOTIFICATION_SWEEP_AFTER = 60
    nightly_run(datetime.timedelta(hours=1))
    notifications = NotificationFactory.create_batch(4)
    # Just written: not late yet.
    young = client.get("/health/", HTTP_ACCEPT="application/json")
    Notification.objects.filter(pk__in=[n.pk for n in notifications[:3]]).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    at_limit = client.get("/health/", HTTP_ACCEPT="application/json")
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    over = client.get("/health/", HTTP_ACCEPT="application/json")
    # Delivered ones are not a backlog, however old.
    Notification.objects.filter(pk=notifications[0].pk).update(
        status=NotificationStatus.DELIVERED, delivered_at=timezone.now()
    )
    delivered = client.get("/health/", HTTP_ACCEPT="application/json")

    assert young.json()[OUTBOX] == at_limit.json()[OUTBOX] == delivered.json()[OUTBOX] == "OK"
    assert (over.status_code, over["X-Health-Status"]) == (200, "degraded")
    assert over.json()[OUTBOX] == (
        "Warning: More than 3 notifications have waited longer than 60 s for delivery"
    )


@pytest.mark.django_db
def test_json_by_query_parameter_and_a_page_for_browsers(client):
    as_json = client.get("/health/", {"format": "json"})
    as_page = client.get("/health/", HTTP_ACCEPT="text/html")

    assert as_json.status_code == 200
    assert as_json["Content-Type"] == "application/json"
    assert as_page.status_code == 200
    assert "System status" in as_page.text
    # Never served from a cache between the balancer and the instance.
    assert "no-cache" in as_json["Cache-Control"]


@pytest.mark.django_db
def test_open_to_anonymous_probes_even_when_login_is_required_everywhere(client, settings):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]

    response = client.get("/health/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200


def test_unhealthy_and_names_the_database_when_it_is_unreachable(run_python):
    (result,) = probe_in_subprocess(
        run_python,
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
        },
        "probe()",
    )

    assert result["status"] == 500
    assert result["body"][DATABASE].startswith("Unavailable")
    assert result["body"][MIGRATIONS].startswith("Unavailable")
    assert result["body"][CACHE] == "OK"
    # The checks that read data say they could not, as warnings: the failure is the database's.
    not_checked = "Warning: Not checked: the database does not answer"
    assert result["body"][OUTBOX] == result["body"][NIGHTLY] == not_checked
    # The log says which checks failed and why, a line each, without a traceback per probe.
    assert "Traceback" not in result["stderr"]
    failures = [line for line in result["stderr"].splitlines() if "WARNING health_check" in line]
    assert len(failures) == 4
    assert all("Connection refused" in line for line in failures)


def test_unhealthy_until_every_migration_is_applied(run_python, tmp_path):
    before, after = probe_in_subprocess(
        run_python,
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unmigrated.sqlite3'}",
        },
        # The file exists before the first probe, as any database does: on a file that does not
        # exist yet, the checks' two connections race to switch it to WAL and one may find it
        # locked (unhealthy all the same, but "cannot read" rather than "unapplied").
        "from django.db import connection\nconnection.ensure_connection()\nconnection.close()\n"
        "probe()\ncall_command('migrate', verbosity=0)\nprobe()",
    )

    assert before["status"] == 500
    assert before["body"][DATABASE] == "OK"
    assert before["body"][MIGRATIONS].startswith("Unavailable")
    assert "unapplied migration" in before["body"][MIGRATIONS], before["stderr"]
    assert after["status"] == 200
    assert after["body"][MIGRATIONS] == "OK"


@pytest.mark.django_db
def test_unhealthy_when_tasks_are_queued_and_the_broker_is_down(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://:s3cret-password@127.0.0.1:1/0"

    response = client.get("/health/", HTTP_ACCEPT="application/json")

    assert response.status_code == 500
    assert response.json()["CeleryBroker(redis://127.0.0.1:1/0)"].startswith("Unavailable")
    # The page is public: the broker's credentials must not appear on it.
    assert "s3cret" not in response.text


@pytest.mark.django_db
def test_unhealthy_when_tasks_are_queued_without_a_broker(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = ""

    response = client.get("/health/", HTTP_ACCEPT="application/json")

    assert response.status_code == 500
    assert "CELERY_BROKER_URL is not set" in response.json()["CeleryBroker(not configured)"]


@pytest.mark.django_db
def test_healthy_when_tasks_are_queued_and_the_broker_answers(client, settings):
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs a Redis broker: set CELERY_BROKER_URL, as CI does")
    settings.CELERY_TASK_ALWAYS_EAGER = False

    response = client.get("/health/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200, response.json()
    assert BROKER_NOT_USED not in response.json()


def test_served_over_plain_http_under_production_settings(run_python, tmp_path):
    # Load balancers probe instances over HTTP: every other path redirects to HTTPS, this one not.
    health, console = probe_in_subprocess(
        run_python,
        {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}"},
        "call_command('migrate', verbosity=0)\n"
        "probe(host='example.com')\n"
        "probe('/console/', host='example.com')",
    )

    assert console["status"] == 301
    assert console["location"] == "https://example.com/console/"
    assert health["location"] is None
    assert health["body"][DATABASE] == "OK"
    assert health["body"][MIGRATIONS] == "OK"
    # Production never runs tasks eagerly: the broker (a closed port here) is really checked.
    assert health["body"]["CeleryBroker(redis://127.0.0.1:1/0)"].startswith("Unavailable")
    assert health["status"] == 500


# A dependency that hangs --------------------------------------------------------------------------
@pytest.fixture
def hanging_port():
    """A TCP listener that accepts connections and never answers: a database or a Redis that
    hangs. Yields its port; the connections it accepted are closed at the end."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_hanging_database_and_redis_fail_the_probe_instead_of_hanging_it(
    run_python, hanging_port
):
    # Without the timeouts the probe waits for the database for ever: run_python's own bound
    # (30 s here) would kill it and fail the test.
    hanging = f"127.0.0.1:{hanging_port}"
    result = run_python(
        PROBE + "probe(host='example.com')",
        env={
            **PRODUCTION,  # the settings a deployment runs: its cache on Redis
            "DATABASE_URL": f"postgres://postgres@{hanging}/nowhere",
            "REDIS_URL": f"redis://{hanging}/0",
            "CELERY_BROKER_URL": f"redis://{hanging}/1",
            "DATABASE_CONNECT_TIMEOUT": "2",
            "REDIS_SOCKET_TIMEOUT": "2",
        },
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    (probed,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert probed["status"] == 500
    body = probed["body"]
    assert body[DATABASE].startswith("Unavailable")
    assert body[MIGRATIONS].startswith("Unavailable")
    assert body[CACHE] != "OK"
    (broker,) = [value for key, value in body.items() if key.startswith("CeleryBroker(")]
    assert broker != "OK"


def test_the_timeouts_reach_the_database_and_redis_clients(run_python):
    result = run_python(
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DATABASES['default']['OPTIONS'], s.CACHES['default']['OPTIONS'], "
        "s.CELERY_BROKER_TRANSPORT_OPTIONS, s.CELERY_TASK_TIME_LIMIT, "
        "s.CELERY_TASK_SOFT_TIME_LIMIT]))",
        env={
            **PRODUCTION,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
            "DATABASE_CONNECT_TIMEOUT": "3",
            "DATABASE_STATEMENT_TIMEOUT": "45",
            "REDIS_SOCKET_TIMEOUT": "4",
            "CELERY_TASK_TIME_LIMIT": "7200",
        },
    )
    assert result.returncode == 0, result.stderr
    database, cache, broker, hard, soft = json.loads(result.stdout)
    assert database == {"connect_timeout": 3, "options": "-c statement_timeout=45000"}
    assert cache == {"socket_connect_timeout": 4, "socket_timeout": 4}
    assert (broker["socket_timeout"], broker["socket_connect_timeout"]) == (4, 4)
    assert (hard, soft) == (7200, 6900)


# Static files ------------------------------------------------------------------------------------
def production_probe(run_python, tmp_path, static_root) -> dict:
    (health,) = probe_in_subprocess(
        run_python,
        {
            **PRODUCTION,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
            "DJANGO_STATIC_ROOT": str(static_root),
        },
        "call_command('migrate', verbosity=0)\nprobe(host='example.com')",
    )
    return health["body"]


def test_unhealthy_without_the_static_manifest_production_serves_from(run_python, tmp_path):
    # A release whose collectstatic did not run: every page would be an error.
    empty = tmp_path / "static"
    empty.mkdir()
    body = production_probe(run_python, tmp_path, empty)
    assert body[STATIC].startswith("Unavailable")
    assert "collectstatic" in body[STATIC]


def test_healthy_with_the_static_manifest(run_python, tmp_path):
    root = tmp_path / "static"
    root.mkdir()
    manifest = {"version": "1.1", "hash": "0", "paths": {"favicon.svg": "favicon.0.svg"}}
    (root / "staticfiles.json").write_text(json.dumps(manifest))
    assert production_probe(run_python, tmp_path, root)[STATIC] == "OK"


@pytest.mark.django_db
def test_plain_static_files_need_no_manifest(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    assert client.get("/health/?format=json").json()[STATIC] == "OK"
