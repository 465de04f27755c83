"""The log stream: one clock (UTC, ISO 8601 with ``Z``) for the web's, the workers' and beat's
lines, and a failing check in one line (see test_health.py for the probe's own log)."""

import json
import logging
import re
import sys
import time
import uuid

import pytest
from django.conf import settings

from config.log_filters import JsonFormatter, OneLineFailure, RequestId, UtcFormatter

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


# Request ids and JSON lines -----------------------------------------------------------------------
class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(RequestId())
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def collected():
    handler = Collect()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_keeps_a_uuid_it_was_sent_and_every_line_it_logs_says_it(client, collected):
    sent = uuid.uuid4().hex

    kept = client.get("/portal/no-such-page/", HTTP_X_REQUEST_ID=sent)
    replaced = client.get("/portal/no-such-page/", HTTP_X_REQUEST_ID="'; drop table")
    made = client.get("/portal/no-such-page/")

    assert kept["X-Request-ID"] == sent
    assert re.fullmatch(r"[0-9a-f]{32}", replaced["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", made["X-Request-ID"])
    assert len({sent, replaced["X-Request-ID"], made["X-Request-ID"]}) == 3
    # django.request logs each 404 ("Not Found: ...") with the request's id.
    assert [r.request_id for r in collected] == [
        sent,
        replaced["X-Request-ID"],
        made["X-Request-ID"],
    ]


def test_json_lines_carry_the_request_id_in_utc():
    formatter = JsonFormatter(
        **{k: v for k, v in settings.LOGGING["formatters"]["json"].items() if k != "()"}
    )
    line = record("hello %s", args=None)
    line.args = ("world",)
    line.request_id = "abc"
    line.task_id = "-"
    line.rows = 3

    parsed = json.loads(formatter.format(line))

    assert parsed["message"] == "hello world"
    assert (parsed["level"], parsed["logger"]) == ("WARNING", "belt")
    assert (parsed["request_id"], parsed["task_id"], parsed["rows"]) == ("abc", "-", 3)
    assert parsed["time"].endswith("+00:00")


def test_production_logs_json_and_the_console_handler_sets_the_ids(run_python):
    from tests.config.test_settings import PRODUCTION  # noqa: PLC0415

    result = run_python(
        "import django, logging\ndjango.setup()\nlogging.getLogger('belt').warning('hello')\n",
        env=PRODUCTION,
    )

    assert result.returncode == 0, result.stderr
    (line,) = [json.loads(x) for x in result.stderr.splitlines() if '"logger": "belt"' in x]
    assert (line["message"], line["request_id"], line["task_id"]) == ("hello", "-", "-")
