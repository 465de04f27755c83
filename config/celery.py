"""The Celery application, configured from Django settings under the ``CELERY_`` namespace."""

import os

from celery import Celery

# Like wsgi.py: a worker started without the variable runs production settings (and fails fast
# without a secret) rather than debug settings with a known key.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("belt_ops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
