"""Logging filters and formatters named by ``LOGGING`` in the settings."""

import logging
import time

from django_guid.context import guid
from django_guid.integrations.celery.context import celery_current
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter


class OneLineFailure(logging.Filter):
    """A failure logged with its traceback becomes one line naming the root cause.

    For the health checks: a probe every few seconds against a database that is down would
    otherwise write some 200 lines of chained tracebacks each time. The cause (the innermost
    exception, its first line) is what an operator needs; the check's name is in the message.
    Warnings only: an error keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # An error (an unexpected exception in a check) keeps its traceback.
        if record.levelno >= logging.ERROR or not record.exc_info or record.exc_info[1] is None:
            return True
        error = record.exc_info[1]
        while error.__cause__ is not None or error.__context__ is not None:
            error = error.__cause__ or error.__context__  # type: ignore[assignment]
        detail = str(error).strip().splitlines()
        cause = f"{type(error).__name__}: {detail[0]}" if detail else type(error).__name__
        record.msg = f"{record.getMessage()}: {cause}"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True


class UtcFormatter(logging.Formatter):
    """Times in UTC, ISO 8601 with milliseconds and ``Z`` (2026-12-04T19:50:00.123Z), whatever
    the machine's or Django's time zone: one clock for the web's, the workers' and beat's lines."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


class RequestId(logging.Filter):
    """Sets ``request_id`` (the request's X-Request-ID, carried into the tasks it queued; ``-``
    outside of one) and ``task_id`` (the running task's tracing id, or ``-``) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = guid.get() or "-"
        record.task_id = celery_current.get() or "-"
        return True


class JsonFormatter(BaseJsonFormatter):
    """One JSON object per line (python-json-logger): ``time`` in UTC ISO 8601, ``level``,
    ``logger``, ``message``, ``request_id``, ``task_id``, ``process``, and ``exc_info`` when a
    traceback is logged. Extra fields a call passes (``logger.info(..., extra={...})``) are
    included as keys of their own."""
