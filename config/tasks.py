"""Housekeeping of the project as a whole, run by Celery beat (``CELERY_BEAT_SCHEDULE``).

Each app keeps the tasks of the data it owns in its own ``tasks.py``; this module holds what
belongs to no app.
"""

import logging
from importlib import import_module

from celery import shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def sessions_clear_expired() -> None:
    """Delete expired sessions from the configured session store, like ``clearsessions``.

    Safe to run at any time and more than once: it only removes what has already expired.
    """
    engine = import_module(settings.SESSION_ENGINE)
    try:
        engine.SessionStore.clear_expired()
    except NotImplementedError:
        logger.warning(
            "Session engine %s does not support clearing expired sessions.",
            settings.SESSION_ENGINE,
        )
