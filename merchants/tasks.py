"""Celery tasks of the merchants app: thin callers of its services, safe to run twice."""

import logging

from celery import shared_task

from .services import metrics, notifications

logger = logging.getLogger(__name__)


# One retry per attempt a notification may take (notifications.MAX_ATTEMPTS); the rows stop
# themselves there, so a retry beyond it claims nothing.
@shared_task(bind=True, acks_late=True, max_retries=8)
def notifications_deliver(self, notification_ids: list[int]) -> dict[str, int]:
    try:
        result = notifications.notifications_deliver(notification_ids=notification_ids)
    except notifications.TransientDeliveryError as error:
        # Only transient errors come here. Exponential backoff with jitter (30 s, 60 s, ...
        # 30 min, each between half and all of it): the delay the failed rows were given, so
        # the retry comes when the sweeper would also find them due.
        countdown = error.retry_after
        if countdown is None:
            countdown = notifications.retry_delay(self.request.retries + 1)
        raise self.retry(exc=error, countdown=countdown) from error
    # One line per run, with the request id of whoever caused the notifications (LOGGING).
    logger.info(
        "notifications %s%s: %s",
        notification_ids[:10],
        "..." if len(notification_ids) > 10 else "",
        result,
    )
    return result


@shared_task(acks_late=True)
def notifications_sweep() -> int:
    """Re-queue notifications still pending minutes after they were written."""
    rows = notifications.notifications_stale()
    if rows:
        notifications.notifications_queue_rows(rows)
    return len(rows)


@shared_task(acks_late=True)
def belt_year_stats_recompute(year: int | None = None) -> dict:
    return metrics.belt_year_stats_recompute(year=year)
