"""The environment alone chooses the configuration.

Nothing set: the embedded default (SQLite under ``var/``, eager tasks, console e-mail). URLs set:
PostgreSQL and Redis. Production refuses to start without its secret and passes ``check --deploy``.
Each case imports the settings in a fresh interpreter, so the environment is exactly the test's.
"""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.celery import app
from config.celery import app as celery_app
from config.tasks import sessions_clear_expired

RESOLVE = """
import importlib
import json

s = importlib.import_module("{module}")
db = s.DATABASES["default"]
print(json.dumps({{
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "host": db.get("HOST", ""),
    "port": str(db.get("PORT", "")),
    "broker": s.CELERY_BROKER_URL,
    "eager": s.CELERY_TASK_ALWAYS_EAGER,
    "result_backend": s.CELERY_RESULT_BACKEND,
    "cache": s.CACHES["default"]["BACKEND"],
    "cache_location": s.CACHES["default"].get("LOCATION", ""),
    "email": s.EMAIL_BACKEND,
    "email_host": getattr(s, "EMAIL_HOST", ""),
    "debug": s.DEBUG,
}}))
"""

POSTGRES_AND_REDIS = {
    "DATABASE_URL": "postgres://belt:pw@db.internal:5433/belt_ops",
    "CELERY_BROKER_URL": "redis://queue.internal:6379/0",
    "REDIS_URL": "redis://queue.internal:6379/1",
}
# Long and varied enough for check --deploy (security.W009).
PRODUCTION_SECRET_KEY = "ci-only-4f9c2a7e1b8d3f6a0c5e9b2d7f1a4c8e3b6d0f2a9c7e5b1d8f3a6c0e4b2d9f7a"
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": PRODUCTION_SECRET_KEY,
    "DJANGO_ALLOWED_HOSTS": "example.com",
    # Nothing connects during start-up or system checks: closed ports prove it.
    "DATABASE_URL": "postgres://postgres@127.0.0.1:1/belt_ops",
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
}


def resolve(run_python, module: str, env: dict[str, str] | None = None) -> dict:
    result = run_python(RESOLVE.format(module=module), env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_embedded_default_needs_no_environment(run_python):
    resolved = resolve(run_python, "config.settings.local")

    assert resolved["engine"] == "django.db.backends.sqlite3"
    assert resolved["name"] == str(settings.BASE_DIR / "var" / "belt_ops.sqlite3")
    assert resolved["broker"] == ""
    assert resolved["eager"] is True
    assert resolved["result_backend"] is None
    assert resolved["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert resolved["email"] == "django.core.mail.backends.console.EmailBackend"
    assert resolved["debug"] is True


def test_postgresql_and_redis_come_from_the_environment(run_python):
    resolved = resolve(run_python, "config.settings.local", POSTGRES_AND_REDIS)

    assert resolved["engine"] == "django.db.backends.postgresql"
    assert (resolved["name"], resolved["host"], resolved["port"]) == (
        "belt_ops",
        "db.internal",
        "5433",
    )
    assert resolved["broker"] == "redis://queue.internal:6379/0"
    # A broker means real workers: tasks are queued, not run in the web process.
    assert resolved["eager"] is False
    assert resolved["result_backend"] == "redis://queue.internal:6379/0"
    assert resolved["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert resolved["cache_location"] == "redis://queue.internal:6379/1"


def test_test_settings_take_the_database_from_the_environment_but_keep_tasks_eager(run_python):
    resolved = resolve(run_python, "config.settings.test", POSTGRES_AND_REDIS)

    assert resolved["engine"] == "django.db.backends.postgresql"
    assert resolved["broker"] == "redis://queue.internal:6379/0"
    assert resolved["eager"] is True
    assert resolved["email"] == "django.core.mail.backends.locmem.EmailBackend"


def test_email_url_selects_smtp(run_python):
    resolved = resolve(
        run_python, "config.settings.local", {"EMAIL_URL": "smtp://mailer.internal:587"}
    )

    assert resolved["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert resolved["email_host"] == "mailer.internal"


@pytest.mark.parametrize(
    ("secret_key", "message"),
    [
        pytest.param(None, "Set the DJANGO_SECRET_KEY environment variable", id="missing"),
        pytest.param("too-short", "at least 50 characters", id="short"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(run_python, secret_key, message):
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    if secret_key is not None:
        env["DJANGO_SECRET_KEY"] = secret_key

    result = run_python("import config.settings.production", env=env)

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_settings_pass_check_deploy(run_python):
    result = run_python(
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        env=PRODUCTION,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


# The beat schedule lives in the settings; these keep it runnable as entries are added.


def test_every_beat_entry_names_a_registered_task():
    # What a worker does at start: import CELERY_IMPORTS and the apps' tasks modules.
    celery_app.loader.import_default_modules()

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, name


def test_expired_sessions_are_cleared_daily_at_half_past_three_in_shanghai():
    schedule = settings.CELERY_BEAT_SCHEDULE["sessions-clear-expired"]["schedule"]

    assert (schedule.hour, schedule.minute) == ({3}, {30})
    assert celery_app.conf.timezone == "Asia/Shanghai"


@pytest.mark.django_db
def test_sessions_clear_expired_removes_only_expired_sessions():
    now = timezone.now()
    Session.objects.create(
        session_key="expired", session_data="", expire_date=now - timedelta(seconds=1)
    )
    Session.objects.create(session_key="live", session_data="", expire_date=now + timedelta(days=1))

    sessions_clear_expired()
    sessions_clear_expired()  # a repeated run (redelivery, overlap) is harmless

    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]


def test_every_scheduled_task_exists():
    """A typo in the beat schedule fails here, not at 2 a.m. in production."""
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
