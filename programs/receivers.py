"""Reactions of the programs app to events of the apps below it."""

from django.dispatch import receiver

from merchants.choices import NotificationKind
from merchants.services.notifications import register_renderer
from merchants.signals import metrics_changed

from . import notices
from .tasks import eligibility_recompute_merchants


@receiver(metrics_changed, dispatch_uid="programs.eligibility_on_metrics_changed")
def eligibility_on_metrics_changed(sender, merchant_ids, **kwargs) -> None:
    """Merchants' metrics changed (the signal is sent after commit): recompute them."""
    ids = list(merchant_ids)
    for start in range(0, len(ids), 1000):
        eligibility_recompute_merchants.delay(ids[start : start + 1000])


def register_notification_renderers() -> None:
    register_renderer(NotificationKind.ELIGIBILITY_GAINED, notices.eligibility_gained)
    register_renderer(NotificationKind.ELIGIBILITY_LOST, notices.eligibility_lost)
