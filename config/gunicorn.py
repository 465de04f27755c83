"""gunicorn's settings: ``gunicorn -c config/gunicorn.py config.wsgi``. Every value can be set
from the environment (``GUNICORN_CMD_ARGS`` as well); docs/deploy.md explains them."""

import os
import shutil
from pathlib import Path

# The proxy-facing address only, never 0.0.0.0 (the proxy must be the only way in).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# The proxy's address(es): only they may say the client's address and scheme.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-"
# The client's address as the proxy saw it, the request id (X-Request-ID, also on every log line
# of the request and its tasks), the status, bytes and milliseconds; times in UTC with TZ=UTC.
access_log_format = (
    '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
)

# Prometheus' multiprocess mode (config/metrics.py): each worker writes its request metrics to
# files in PROMETHEUS_MULTIPROC_DIR, emptied when gunicorn starts; a worker that exits is
# marked so its gauges are dropped.
_multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server):
    if _multiproc_dir:
        path = Path(_multiproc_dir)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if _multiproc_dir:
        from prometheus_client import multiprocess  # noqa: PLC0415

        multiprocess.mark_process_dead(worker.pid)
