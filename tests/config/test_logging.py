"""The log stream: one clock (UTC, ISO 8601 with ``Z``) for the web's, the workers' and beat's
lines, and a failing check in one line (see test_health.py for the probe's own log)."""

import logging
import re
import sys
import time

from django.conf import settings

from config.log_filters import OneLineFailure, UtcFormatter

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARNING belt hello$")


def record(message: str = "hello", **extra) -> logging.LogRecord:
    made = logging.LogRecord("belt", logging.WARNING, __file__, 1, message, (), None)
    made.__dict__.update(extra)
    return made


def test_times_are_utc_whatever_the_time_zone(monkeypatch):
    formatter = UtcFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    shanghai = record(
        created=1733342400.5, msecs=500.0
    )  # 2024-12-04T20:00:00.500Z, 04:00 the next day +0800
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()  # the process's local clock is now +0800: a local-time formatter would say 04:00
    try:
        line = formatter.format(shanghai)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert ISO_UTC.match(line), line
    assert line.startswith("2024-12-04T20:00:00.500Z")


def test_the_settings_use_it_and_celery_keeps_them():
    assert settings.LOGGING["formatters"]["plain"]["()"] == "config.log_filters.UtcFormatter"
    assert settings.CELERY_WORKER_HIJACK_ROOT_LOGGER is False


def test_a_warning_with_a_chained_failure_is_one_line_with_the_root_cause():
    try:
        try:
            raise ConnectionRefusedError("connection refused\nmore detail")
        except ConnectionRefusedError as error:
            raise RuntimeError("check failed") from error
    except RuntimeError:
        failure = record("Health check %r failed", exc_info=sys.exc_info())
    failure.args = ("Database",)
    assert OneLineFailure().filter(failure)
    assert failure.exc_info is None
    assert failure.getMessage() == (
        "Health check 'Database' failed: ConnectionRefusedError: connection refused"
    )


def test_an_error_keeps_its_traceback():
    try:
        raise ValueError("a bug")
    except ValueError:
        failure = record(exc_info=sys.exc_info(), levelno=logging.ERROR)
    assert OneLineFailure().filter(failure)
    assert failure.exc_info is not None
