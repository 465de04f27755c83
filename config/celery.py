"""The Celery application, configured from Django settings under the ``CELERY_`` namespace."""

import os
import time

from celery import Celery
from celery.signals import task_postrun, task_prerun

# Like wsgi.py: a worker started without the variable runs production settings (and fails fast
# without a secret) rather than debug settings with a known key.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("belt_ops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Task runs by task and final state, and their durations, for Prometheus (core.metrics): every
# worker on every machine adds to the same totals, which /metrics/ reports.
_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id: str | None = None, **kwargs: object) -> None:
    if task_id:
        _started[task_id] = time.monotonic()


@task_postrun.connect
def _task_finished(
    task_id: str | None = None, task: object = None, state: str | None = None, **kwargs: object
) -> None:
    from core import metrics  # noqa: PLC0415 - Django's settings are loaded by now

    name = getattr(task, "name", "unknown")
    started = _started.pop(task_id, None) if task_id else None
    metrics.count("belt_ops_task_runs", {"task": name, "state": state or "UNKNOWN"})
    if started is not None:
        metrics.observe(
            "belt_ops_task_duration_seconds", {"task": name}, time.monotonic() - started
        )
