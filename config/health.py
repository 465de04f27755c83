"""``/health/``: may this instance take traffic?

Healthy means the database answers, its schema holds every migration this code expects, the cache
works, when tasks are queued rather than run in-process the Celery broker answers, and under
hashed static files their manifest is loaded. Any failure answers HTTP 500 and names the failing
check. Degraded (still 200, the check says "Warning: ..."): the outbox has a backlog, or the
last nightly recompute is too old. ``?format=json`` (or ``Accept: application/json``)
gives ``{"<check>": "OK" | "<error>"}`` for load balancers and monitors; a browser gets a table.

Mail and file storage are left out on purpose: an SMTP outage must not take the web tier out of
rotation, and the outbox retries delivery on its own.
"""

import dataclasses
import datetime
import logging
from collections.abc import Callable
from functools import partial
from typing import TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import Error as DatabaseError
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from merchants.selectors import outbox_backlog
from merchants.services import notifications
from programs.selectors import last_nightly_recompute_get

logger = logging.getLogger(__name__)

T = TypeVar("T")
REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Unhealthy while the database lacks a migration this code expects.

    A new release put behind the load balancer takes traffic only once ``migrate`` has run. An
    older release still serving during a rollout does not know the newer migrations, so it stays
    healthy.
    """

    alias: str = DEFAULT_DB_ALIAS

    def run(self) -> None:
        connection = connections[self.alias]
        try:
            # Sync checks run in a thread pool: close the thread's connection rather than leave one
            # open per pool thread.
            with connection.temporary_connection():
                executor = MigrationExecutor(connection)
                plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as e:
            # The page is public and says no more; the log says why.
            logger.warning("cannot read the migration history", exc_info=True)
            raise ServiceUnavailable("Cannot read the migration history") from e
        if plan:
            app_labels = ", ".join(sorted({migration.app_label for migration, _ in plan}))
            raise ServiceUnavailable(f"{len(plan)} unapplied migration(s) in {app_labels}")


@dataclasses.dataclass
class CeleryBroker(HealthCheck):
    """The Redis broker that workers consume from answers a ping.

    While tasks run eagerly (the embedded default) nothing is queued and no broker is needed: the
    check passes and its name says so. Settings are read per request, not at import time, so the
    check always describes the configuration the process actually runs with.
    """

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )

    def __repr__(self) -> str:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return "CeleryBroker(not used: tasks run eagerly)"
        return f"CeleryBroker({_location(settings.CELERY_BROKER_URL)})"

    async def run(self) -> None:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            return
        url = settings.CELERY_BROKER_URL
        if not url:
            raise ServiceUnavailable("Tasks are queued but CELERY_BROKER_URL is not set")
        if urlsplit(url).scheme not in REDIS_SCHEMES:
            raise ServiceUnavailable("Only a Redis broker can be checked")
        seconds = self.timeout.total_seconds()
        client_factory = partial(
            RedisClient.from_url, url, socket_connect_timeout=seconds, socket_timeout=seconds
        )
        await Redis(client_factory=client_factory).run()


def _location(url: str) -> str:
    """The broker URL without credentials or query string, fit for a public status page."""
    if not url:
        return "not configured"
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


@dataclasses.dataclass
class StaticFiles(HealthCheck):
    """Under hashed static files (production), the manifest this process serves from is loaded.

    Without it every page that names a static file is an error while the database and the cache
    are fine: a release whose ``collectstatic`` did not run (or ran under other settings), or a
    process started before it ran. The manifest is read when the process starts, so a process
    that started without one stays unhealthy until it is restarted, as its pages stay broken.
    Plain static files (development) have no manifest: the check passes.
    """

    def run(self) -> None:
        # The lazy storage the pages use (isinstance sees through it), loaded once per process.
        if not isinstance(staticfiles_storage, ManifestFilesMixin):
            return
        if not staticfiles_storage.hashed_files:
            raise ServiceUnavailable(
                f"No static files manifest ({staticfiles_storage.manifest_name}): run "
                "collectstatic with these settings, then restart"
            )


def _read(query: Callable[[], T]) -> T:
    """Run a check's query on a connection closed after it (checks run in a thread pool); a
    database that does not answer is the Database check's failure: here only a warning."""
    try:
        with connections[DEFAULT_DB_ALIAS].temporary_connection():
            return query()
    except DatabaseError as e:
        raise ServiceWarning("Not checked: the database does not answer") from e


@dataclasses.dataclass
class OutboxBacklog(HealthCheck):
    """Degraded (a warning, still HTTP 200) while more notifications wait than
    ``HEALTH_OUTBOX_BACKLOG_MAX``: deliveries are late (workers down or too few, a mail server
    refusing), but this instance can serve. Waiting means pending past the sweeper's delay."""

    def run(self) -> None:
        limit = settings.HEALTH_OUTBOX_BACKLOG_MAX
        backlog = _read(partial(outbox_backlog, older_than=notifications.sweep_after(), cap=limit))
        if backlog["capped"]:
            raise ServiceWarning(
                f"More than {limit} notifications have waited longer than "
                f"{settings.NOTIFICATION_SWEEP_AFTER} s for delivery"
            )


@dataclasses.dataclass
class NightlyRecompute(HealthCheck):
    """Degraded (a warning, still HTTP 200) when the last nightly recompute finished longer ago
    than ``HEALTH_RECOMPUTE_MAX_AGE_HOURS`` or never did: eligibility is stale (beat or the
    recompute worker is down, or the run failed), while every page still serves."""

    def run(self) -> None:
        hours = settings.HEALTH_RECOMPUTE_MAX_AGE_HOURS
        last = _read(last_nightly_recompute_get)
        if last is None or last.finished_at is None:
            raise ServiceWarning("No nightly recompute has finished yet")
        age = timezone.now() - last.finished_at
        if age > datetime.timedelta(hours=hours):
            raise ServiceWarning(
                f"The last nightly recompute finished {age.total_seconds() / 3600:.0f} h ago "
                f"(more than {hours} h)"
            )


class HealthView(HealthCheckView):
    """Healthy (200) unless a check fails; a warning (a degraded service: late deliveries, stale
    eligibility) is shown, and logged, but keeps the status 200, so a load balancer does not
    take a serving instance out of rotation for it. ``X-Health-Status`` says ``ok``,
    ``degraded`` or ``unavailable``, for monitors that read headers."""

    checks = (
        Database,
        Migrations,
        Cache,
        CeleryBroker,
        StaticFiles,
        OutboxBacklog,
        NightlyRecompute,
    )

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        errors = [result.error for result in self.results if result.error]
        if errors and all(isinstance(error, ServiceWarning) for error in errors):
            response.status_code = 200
            response["X-Health-Status"] = "degraded"
        else:
            response["X-Health-Status"] = "unavailable" if errors else "ok"
        return response


# A load balancer has no session: the probe stays open even if LoginRequiredMiddleware is enabled.
health = login_not_required(HealthView.as_view())
