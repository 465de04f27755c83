"""Belt figures and tiers, and the notification outbox."""

import datetime
import smtplib
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from belts.choices import BeltTier
from belts.models import BeltTierChange, BeltYearStat, TierPolicy
from merchants.choices import NotificationChannel, NotificationKind, NotificationStatus
from merchants.models import MonthlyMetric, Notification
from merchants.services.metrics import belt_year_stats_recompute, classify_belts
from merchants.services.notifications import (
    TransientDeliveryError,
    claim_timeout,
    notifications_deliver,
    notifications_stale_ids,
    sweep_after,
)
from merchants.tasks import notifications_sweep
from tests.belts.factories import (
    IndustrialBeltFactory,
    OperationCenterFactory,
    OperationCenterMembershipFactory,
    UserFactory,
)

from .factories import MerchantFactory, NotificationFactory

BN = Decimal("1000000000")


def policy(top_n=2):
    return TierPolicy(year=2025, ten_billion_gmv=10 * BN, growth_min_gmv=BN, growth_top_n=top_n)


def test_ten_billion_at_the_threshold_growth_needs_the_minimum():
    tiers = classify_belts(
        [
            (1, 10 * BN, Decimal("0.01")),  # exactly ten billion
            (2, 10 * BN - 1, Decimal("0.50")),  # just under: a growth candidate
            (3, BN - 1, Decimal("5.00")),  # fastest, but under one billion
            (4, BN, None),  # no prior year: growth unknown
        ],
        policy(top_n=5),
    )
    assert tiers == {
        1: BeltTier.TEN_BILLION,
        2: BeltTier.GROWTH,
        3: BeltTier.STANDARD,
        4: BeltTier.STANDARD,
    }


def test_top_n_cut_and_ties_break_by_gmv_then_age():
    tiers = classify_belts(
        [
            (10, 2 * BN, Decimal("0.30")),
            (11, 3 * BN, Decimal("0.30")),  # same growth, larger GMV: ranks first
            (12, 2 * BN, Decimal("0.30")),  # same growth and GMV as 10, younger: cut
            (13, 9 * BN, Decimal("0.10")),
            (14, 50 * BN, Decimal("0.90")),  # ten-billion, left out of the growth ranking
        ],
        policy(top_n=2),
    )
    assert tiers[11] == tiers[10] == BeltTier.GROWTH
    assert tiers[12] == tiers[13] == BeltTier.STANDARD
    assert tiers[14] == BeltTier.TEN_BILLION


def _gmv(belt, year, amount):
    """A merchant of ``belt`` with a figure for each month of ``year``, selling ``amount`` in
    June (the rest of the year's months at zero)."""
    merchant = MerchantFactory(belt=belt)
    MonthlyMetric.objects.bulk_create(
        MonthlyMetric(
            merchant=merchant,
            month=datetime.date(year, month, 1),
            gmv=amount if month == 6 else Decimal(0),
        )
        for month in range(1, 13)
    )
    return merchant


@pytest.mark.django_db
def test_recompute_derives_figures_and_tells_the_centers_staff_once():
    TierPolicy.objects.create(
        year=2025, ten_billion_gmv=Decimal("1000"), growth_min_gmv=Decimal("100")
    )
    big, growing, small = IndustrialBeltFactory.create_batch(3)
    _gmv(big, 2024, Decimal("900"))
    _gmv(big, 2025, Decimal("1500"))
    _gmv(growing, 2024, Decimal("100"))
    _gmv(growing, 2025, Decimal("300"))
    _gmv(small, 2025, Decimal("50"))
    center = OperationCenterFactory(belts=[big, growing])
    reviewer = OperationCenterMembershipFactory(
        center=center, user=UserFactory(email="r@example.com")
    )

    result = belt_year_stats_recompute(year=2025)

    assert result == {"year": 2025, "belts": 3, "changed": 2, "ten_billion": 1, "growth": 1}
    stat = BeltYearStat.objects.get(belt=growing, year=2025)
    assert (stat.gmv, stat.yoy_growth, stat.merchant_count, stat.tier) == (
        Decimal("300.00"),
        Decimal("2.0000"),
        1,
        BeltTier.GROWTH,
    )
    assert BeltYearStat.objects.get(belt=small, year=2025).yoy_growth is None
    assert BeltTierChange.objects.count() == 2
    told = Notification.objects.filter(
        recipient=reviewer.user, kind=NotificationKind.BELT_TIER_CHANGED
    )
    assert told.filter(channel=NotificationChannel.IN_APP).count() == 2
    assert told.filter(channel=NotificationChannel.EMAIL).count() == 2

    # Nothing moved: no new change, no new message.
    again = belt_year_stats_recompute(year=2025)
    assert again["changed"] == 0
    assert Notification.objects.count() == 4
    assert BeltTierChange.objects.count() == 2

    # The growing belt falls back: a change and a message.
    MonthlyMetric.objects.filter(merchant__belt=growing, month__year=2025).update(
        gmv=Decimal("7.5")
    )
    assert belt_year_stats_recompute(year=2025)["changed"] == 1
    change = BeltTierChange.objects.latest("id")
    assert (change.from_tier, change.to_tier) == (BeltTier.GROWTH, BeltTier.STANDARD)


@pytest.mark.django_db
def test_growth_compares_two_whole_years_only():
    TierPolicy.objects.create(year=2025, ten_billion_gmv=Decimal("1000"), growth_min_gmv=1)
    whole, partial = IndustrialBeltFactory.create_batch(2)
    _gmv(whole, 2024, Decimal("120"))
    _gmv(whole, 2025, Decimal("180"))
    # The partial belt's history starts in November of the prior year: two months cannot be
    # compared with twelve (that would read as a growth of several hundred percent).
    late = MerchantFactory(belt=partial)
    MonthlyMetric.objects.bulk_create(
        MonthlyMetric(merchant=late, month=datetime.date(2024, month, 1), gmv=Decimal("10"))
        for month in (11, 12)
    )
    _gmv(partial, 2025, Decimal("120"))

    belt_year_stats_recompute(year=2025)

    assert BeltYearStat.objects.get(belt=whole, year=2025).yoy_growth == Decimal("0.5000")
    stat = BeltYearStat.objects.get(belt=partial, year=2025)
    assert (stat.gmv, stat.yoy_growth, stat.tier) == (Decimal("120.00"), None, BeltTier.STANDARD)

    # Once the prior year's months are all there, the growth is given.
    MonthlyMetric.objects.bulk_create(
        MonthlyMetric(merchant=late, month=datetime.date(2024, month, 1), gmv=Decimal("10"))
        for month in range(1, 11)
    )
    belt_year_stats_recompute(year=2025)
    stat = BeltYearStat.objects.get(belt=partial, year=2025)
    assert (stat.yoy_growth, stat.tier) == (Decimal("0.0000"), BeltTier.GROWTH)


# Outbox delivery ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_in_app_and_email_delivered_once_even_when_asked_twice():
    user = UserFactory(email="owner@example.com")
    in_app = NotificationFactory(recipient=user)
    email = NotificationFactory(recipient=user, channel=NotificationChannel.EMAIL)
    ids = [in_app.pk, email.pk]
    assert notifications_deliver(notification_ids=ids) == {"delivered": 2, "failed": 0}
    assert notifications_deliver(notification_ids=ids) == {"delivered": 0, "failed": 0}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@example.com"]
    email.refresh_from_db()
    assert email.status == NotificationStatus.DELIVERED
    assert email.attempts == 1
    assert email.delivered_at is not None


@pytest.mark.django_db
def test_transient_failure_is_recorded_and_left_for_a_retry(monkeypatch):
    notification = NotificationFactory(
        recipient=UserFactory(email="a@example.com"), channel=NotificationChannel.EMAIL
    )

    def down(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")

    monkeypatch.setattr("merchants.services.notifications.send_mail", down)
    with pytest.raises(TransientDeliveryError):
        notifications_deliver(notification_ids=[notification.pk])
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1
    assert "unexpectedly closed" in notification.last_error
    assert notification.claimed_at is None

    monkeypatch.undo()
    notifications_deliver(notification_ids=[notification.pk])
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.DELIVERED
    assert notification.attempts == 2


@pytest.mark.django_db
def test_permanent_failure_is_not_retried():
    notification = NotificationFactory(
        recipient=UserFactory(email=""), channel=NotificationChannel.EMAIL
    )
    assert notifications_deliver(notification_ids=[notification.pk]) == {
        "delivered": 0,
        "failed": 1,
    }
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert "recipient" in notification.last_error


@pytest.mark.django_db
def test_sweeper_finds_what_a_lost_task_left_behind():
    now = timezone.now()
    fresh = NotificationFactory()
    old = NotificationFactory()
    abandoned = NotificationFactory()
    busy = NotificationFactory()
    Notification.objects.filter(pk__in=[old.pk, abandoned.pk, busy.pk]).update(
        created_at=now - sweep_after() - datetime.timedelta(seconds=1)
    )
    Notification.objects.filter(pk=abandoned.pk).update(
        claimed_at=now - claim_timeout() - datetime.timedelta(seconds=1)
    )
    Notification.objects.filter(pk=busy.pk).update(claimed_at=now)
    assert sorted(notifications_stale_ids(now=now)) == sorted([old.pk, abandoned.pk])
    assert fresh.pk not in notifications_stale_ids(now=now)


@pytest.mark.django_db
def test_sweep_task_delivers_the_stale_ones():
    stale = NotificationFactory()
    Notification.objects.filter(pk=stale.pk).update(created_at=timezone.now() - sweep_after() * 2)
    assert notifications_sweep() == 1
    stale.refresh_from_db()
    assert stale.status == NotificationStatus.DELIVERED
