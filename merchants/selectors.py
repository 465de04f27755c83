"""Reads of the merchants app."""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TypedDict, cast

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from belts.models import OperationCenter
from belts.scoping import Viewer, center_id_subquery, center_scope
from core.months import complete_months

from .choices import (
    MembershipRole,
    MerchantStatus,
    MerchantType,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from .models import (
    Merchant,
    MerchantMembership,
    MonthlyMetric,
    Notification,
    NotificationPreference,
    WebhookEndpoint,
)
from .scoping import member_merchant_id_subquery, scoped, visible_merchants

AnyUser = Viewer


def membership_list(*, user: AnyUser) -> QuerySet[MerchantMembership]:
    """The user's memberships, each with its merchant, belt and category loaded."""
    return (
        MerchantMembership.objects.filter(user_id=user.pk)  # type: ignore[misc]  # None for a visitor: no rows
        .select_related("merchant__belt", "merchant__category")
        .order_by("merchant__shop_name", "merchant_id")
    )


def member_merchant_ids(*, user: AnyUser) -> list[int]:
    """The ids of the merchants ``user`` is a member of: one query, none for a visitor."""
    if not user.is_authenticated:
        return []
    return list(
        MerchantMembership.objects.filter(user_id=user.pk).values_list("merchant_id", flat=True)
    )


def membership_choose(
    memberships: Sequence[MerchantMembership], *, merchant_id: str | int | None
) -> MerchantMembership | None:
    """The membership of ``merchant_id`` among ``memberships`` (the user's own), or the first
    one when no id is asked for; None when there is none at all.

    Raises ``MerchantMembership.DoesNotExist`` for an id that is not among them, whether it
    belongs to someone else, does not exist or is not a number: a page must not tell these apart.
    """
    if merchant_id is None:
        return memberships[0] if memberships else None
    for membership in memberships:
        if str(membership.merchant_id) == str(merchant_id):
            return membership
    raise MerchantMembership.DoesNotExist


def merchant_list(*, user: AnyUser) -> QuerySet[Merchant]:
    """The merchants ``user`` may see (the one merchant scope), each with its belt and category
    loaded, by id: a page of them is one query."""
    return visible_merchants(user).select_related("belt", "category").order_by("id")


def monthly_metric_scoped_list(*, user: AnyUser) -> QuerySet[MonthlyMetric]:
    """The monthly figures of the merchants ``user`` may see, by id."""
    return scoped(MonthlyMetric.objects.all(), user, "merchant").order_by("id")


def merchant_is_visible(*, user: AnyUser, merchant_id: int) -> bool:
    """Whether ``user`` may read this merchant's data, by the one merchant scope
    (``merchants.scoping``): staff the merchants of the belts their centers serve, a portal user
    the merchants they are a member of, a superuser all. One query."""
    return visible_merchants(user).filter(pk=merchant_id).exists()


class MerchantBrief(TypedDict):
    id: int
    shop_name: str


def merchant_brief_list(*, merchant_ids: Iterable[int]) -> list[MerchantBrief]:
    """``{"id", "shop_name"}`` of the given merchants, by id: one query."""
    return list(
        Merchant.objects.filter(pk__in=list(merchant_ids)).order_by("id").values("id", "shop_name")
    )


def complete_months_window(
    *, months: int, as_of: datetime.date | None = None
) -> tuple[datetime.date, datetime.date]:
    """The first days of the first and the last of the ``months`` complete calendar months before
    ``as_of``'s month (today by default): the same trailing window as the merchant facts."""
    return complete_months(months, as_of or timezone.localdate())


def monthly_metric_list(
    *, merchant_id: int, months: int = 12, as_of: datetime.date | None = None
) -> QuerySet[MonthlyMetric]:
    """The merchant's figures for the ``months`` complete months before ``as_of``'s month, newest
    first. ``refund_rate_percent`` is the refund rate times 100, for display."""
    first, last = complete_months_window(months=months, as_of=as_of)
    return (
        MonthlyMetric.objects.filter(merchant_id=merchant_id, month__range=(first, last))
        .annotate(
            refund_rate_percent=ExpressionWrapper(
                F("refund_rate") * 100, output_field=DecimalField(max_digits=7, decimal_places=2)
            )
        )
        .order_by("-month")
    )


# The portal inbox -----------------------------------------------------------------------------
def inbox_notification_list(*, user: AnyUser) -> QuerySet[Notification]:
    """The in-app notifications ``user`` may read, newest first: their own (``recipient``) and
    those addressed to a merchant they are a member of as a whole (no recipient). A message to
    another member about the same merchant stays that member's own."""
    if not user.is_authenticated:
        return Notification.objects.none()
    # The user's merchants as values (a member has one or a few), not a subquery: with a list,
    # PostgreSQL reads the two kinds from their indexes (a bitmap OR) and the page costs the
    # user's messages; an ``IN (subquery)`` inside the ``OR`` scanned every in-app notification
    # on the platform (60 ms at 280,000, against 0.1 ms).
    member_of = list(
        MerchantMembership.objects.filter(user_id=user.pk).values_list("merchant_id", flat=True)
    )
    return (
        Notification.objects.filter(channel=NotificationChannel.IN_APP)
        .filter(Q(recipient_id=user.pk) | Q(recipient__isnull=True, merchant_id__in=member_of))
        .order_by("-created_at", "-id")
    )


def inbox_unread_count(*, user: AnyUser) -> int:
    """How many of the user's in-app notifications are unread: one query, none for anonymous.

    The badge on every portal page. The two kinds of message the inbox holds (the user's own,
    and those to a merchant they are a member of) are counted apart and added (``UNION ALL``:
    they never overlap), so each is read from its own index (``notification_inbox_idx``, the
    partial ``notification_unread_merch_idx``) and the count costs the user's unread rows, not
    the platform's notifications, which an ``OR`` of the two would scan."""
    if not user.is_authenticated:
        return 0
    unread = Notification.objects.filter(channel=NotificationChannel.IN_APP, read_at__isnull=True)
    member_of = MerchantMembership.objects.filter(user_id=user.pk).values("merchant_id")
    own = unread.filter(recipient_id=user.pk).order_by().values("id")
    to_merchants = (
        unread.filter(recipient__isnull=True, merchant_id__in=member_of).order_by().values("id")
    )
    return own.union(to_merchants, all=True).count()


# The outbox, for operators (platform-wide: the operators' page and /health/) ---------------------
class OutboxBacklog(TypedDict):
    waiting: int  # pending longer than the sweeper's delay, at most ``cap``
    capped: bool  # more than ``cap`` are waiting
    oldest: datetime.datetime | None  # when the oldest pending one was written
    failed: int  # failed for good, at most ``cap``


def outbox_backlog(
    *, now: datetime.datetime | None = None, older_than: datetime.timedelta, cap: int = 10_000
) -> OutboxBacklog:
    """The outbox's backlog, each figure read from a partial index and bounded by ``cap``, so
    the probe costs the same with a million rows waiting."""
    now = now or timezone.now()
    pending = Notification.objects.filter(status=NotificationStatus.PENDING).order_by()
    waiting = pending.filter(created_at__lt=now - older_than).values("id")[: cap + 1].count()
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    failed = (
        Notification.objects.filter(status=NotificationStatus.FAILED)
        .order_by()
        .values("id")[:cap]
        .count()
    )
    return {
        "waiting": min(waiting, cap),
        "capped": waiting > cap,
        "oldest": oldest,
        "failed": failed,
    }


def failed_delivery_list(*, limit: int = 50) -> QuerySet[Notification]:
    """The notifications that failed for good, newest first (the partial index on failures)."""
    return (
        Notification.objects.filter(status=NotificationStatus.FAILED)
        .select_related("recipient", "merchant", "webhook_endpoint")
        .order_by("-id")[:limit]
    )


# Webhooks ---------------------------------------------------------------------------------------
def webhook_endpoint_list(*, user: AnyUser, writable: bool = False) -> QuerySet[WebhookEndpoint]:
    """The webhook endpoints ``user`` may read (``writable``: manage), newest first, with their
    creator loaded: a merchant's to its members (to manage: its owner), an operation center's
    to its staff, all to a superuser. Staff do not see the endpoints of the merchants they
    serve: those are the merchant's own integration."""
    endpoints = WebhookEndpoint.objects.select_related("created_by").order_by("-id")
    if not user.is_authenticated:
        return endpoints.none()
    if user.is_superuser:
        return endpoints
    role = MembershipRole.OWNER if writable else None
    centers = center_scope(user, "operation_center")
    assert centers is not None  # None only for a superuser, answered above
    return endpoints.filter(Q(merchant_id__in=member_merchant_id_subquery(user, role)) | centers)


def webhook_owner_merchants(*, user: AnyUser) -> QuerySet[Merchant]:
    """The merchants whose endpoints ``user`` may create: those they own; all for a superuser."""
    if user.is_authenticated and user.is_superuser:
        return Merchant.objects.all()
    return Merchant.objects.filter(pk__in=member_merchant_id_subquery(user, MembershipRole.OWNER))


def webhook_owner_centers(*, user: AnyUser) -> QuerySet[OperationCenter]:
    """The operation centers whose endpoints ``user`` may create: those they belong to; all for
    a superuser."""
    center_ids = center_id_subquery(user)
    if center_ids is None:
        return OperationCenter.objects.all()
    return OperationCenter.objects.filter(pk__in=center_ids)


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[Notification]:
    """The endpoint's deliveries, newest first (by id, which grows with creation time: the
    keyset of the delivery list, served by the (endpoint, -id) index)."""
    return Notification.objects.filter(
        webhook_endpoint=endpoint, channel=NotificationChannel.WEBHOOK
    ).order_by("-id")


def notification_preference_list(*, user: AnyUser) -> list[dict]:
    """``{"kind", "label", "email_enabled"}`` for every kind of notification, in the kinds'
    order: the user's choice, or e-mail on where they made none. One query."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id=user.pk).values_list("kind", "email_enabled")  # type: ignore[misc]
    )
    return [
        {
            "kind": kind.value,
            "label": str(kind.label),
            "email_enabled": chosen.get(kind.value, True),
        }
        for kind in NotificationKind
    ]


# A belt's page: counts over its merchants (``config.atlas.figures``) -----------------------------
# The merchants a belt's page counts: every one not closed (a dormant shop is still the belt's).
def _belt_merchants(belt_id: int) -> QuerySet[Merchant]:
    return Merchant.objects.filter(belt_id=belt_id).exclude(status=MerchantStatus.CLOSED)


def belt_composition_counts(*, belt_id: int) -> list[tuple[str, str, int]]:
    """``(merchant type, brand stage, count)`` of the belt's merchants: one grouped query."""
    return list(
        _belt_merchants(belt_id)
        .values_list("merchant_type", "brand_stage")
        .annotate(count=Count("id"))
        .order_by("merchant_type", "brand_stage")
    )


# A belt's page draws at most this many factories; the count beside the map says how many exist.
FACTORY_MAP_LIMIT = 500


class FactoryLocation(TypedDict):
    id: int
    shop_name: str
    latitude: Decimal
    longitude: Decimal
    district: str


def belt_factory_count(*, belt_id: int) -> int:
    """How many source factories sell in the belt: one query."""
    return _belt_merchants(belt_id).filter(merchant_type=MerchantType.SOURCE_FACTORY).count()


def belt_factory_location_list(
    *, belt_id: int, limit: int = FACTORY_MAP_LIMIT
) -> list[FactoryLocation]:
    """The belt's source factories that have coordinates, by id, at most ``limit``: one query."""
    rows = (
        _belt_merchants(belt_id)
        .filter(merchant_type=MerchantType.SOURCE_FACTORY, latitude__isnull=False)
        .filter(longitude__isnull=False)
        .order_by("id")
        .values("id", "shop_name", "latitude", "longitude", "district")[:limit]
    )
    return cast(list[FactoryLocation], list(rows))  # the filter keeps no null coordinate
