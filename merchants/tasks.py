"""Celery tasks of the merchants app: thin callers of its services, safe to run twice."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=6)
def notifications_deliver(self, notification_ids: list[int]) -> dict[str, int]:
    from .notifications import TransientDeliveryError
    from .notifications import notifications_deliver as deliver

    try:
        return deliver(notification_ids=notification_ids)
    except TransientDeliveryError as error:
        # Only transient errors come here; exponential backoff: 30 s, 60 s, 120 s, ... 30 min.
        countdown = min(30 * 2**self.request.retries, 1800)
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task(acks_late=True)
def notifications_sweep() -> int:
    """Re-queue notifications still pending minutes after they were written."""
    from .notifications import notifications_queue, notifications_stale_ids

    ids = notifications_stale_ids()
    if ids:
        notifications_queue(ids)
    return len(ids)


@shared_task(acks_late=True)
def belt_year_stats_recompute(year: int | None = None) -> dict:
    from .services import belt_year_stats_recompute as recompute

    return recompute(year=year)
