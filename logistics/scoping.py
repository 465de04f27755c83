"""Who may see which shipment, and what they may do with it: the one definition the console,
the portal, the API and the exports call.

- Whoever may see a shipment's merchant (``merchants.scoping``: a superuser, the staff of the
  centers serving its belt, the merchant's members) sees the shipment.
- A provider's user (``ProviderMembership``, the user of a provider's API key) sees the shipments
  it carries a leg of, and nothing else of the merchant.

The filters are subqueries: scoping costs no query of its own.
"""

from typing import Any

from django.db.models import Q, QuerySet

from belts.models import OperationCenterMembership
from belts.scoping import Viewer
from merchants.models import Merchant, MerchantMembership
from merchants.scoping import merchant_scope

from .models import Leg, ProviderMembership, Shipment

NOTHING = Q(pk__in=[])


def provider_id_of(user: Viewer) -> int | None:
    """The provider ``user`` acts for, or None. One query the first time, none after."""
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_logistics_provider_id", False)
    if cached is False:
        cached = (
            ProviderMembership.objects.filter(user_id=user.pk)
            .values_list("provider_id", flat=True)
            .first()
        )
        setattr(user, "_logistics_provider_id", cached)  # noqa: B010 (a private cache)
    return cached


def provider_id_subquery(user: Viewer) -> QuerySet:
    if not user.is_authenticated:
        return ProviderMembership.objects.none().values("provider_id")
    return ProviderMembership.objects.filter(user_id=user.pk).values("provider_id")


def shipment_scope(user: Viewer, shipment_path: str = "pk") -> Q | None:
    """A filter keeping the rows whose shipment (reached by ``shipment_path``: ``"pk"`` for
    shipments, ``"shipment"`` for their legs, checks and incidents) ``user`` may see; None (no
    filter) for a superuser."""
    if not user.is_authenticated:
        return NOTHING
    prefix = "" if shipment_path == "pk" else f"{shipment_path}__"
    scope = merchant_scope(user, f"{prefix}merchant")
    if scope is None:
        return None
    carried = Leg.objects.filter(provider_id__in=provider_id_subquery(user)).values("shipment_id")
    return scope | Q(**{f"{shipment_path}__in": carried})


def scoped_shipments(queryset: QuerySet, user: Viewer, shipment_path: str = "pk") -> QuerySet:
    """``queryset`` keeping only the rows of the shipments ``user`` may see."""
    scope = shipment_scope(user, shipment_path)
    return queryset if scope is None else queryset.filter(scope)


# Who may take which step -------------------------------------------------------------------------
def serves(user: Viewer, belt_id: int) -> bool:
    """A superuser, or a member (any role) of a center serving ``belt_id``."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return OperationCenterMembership.objects.filter(user_id=user.pk, center__belts=belt_id).exists()


def is_merchant_member(user: Viewer, merchant_id: int) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return MerchantMembership.objects.filter(user_id=user.pk, merchant_id=merchant_id).exists()


def may_create_shipment(user: Viewer, merchant: Merchant) -> bool:
    """The merchant's members, the staff of the centers serving its belt, a superuser."""
    return is_merchant_member(user, merchant.pk) or serves(user, merchant.belt_id)


def may_record_handover(
    user: Viewer, shipment: Shipment, giver: Leg | None, receiver: Leg | None
) -> bool:
    """Staff serving the merchant's belt; the provider giving or receiving the goods; the
    merchant's members at the pickup (they give the goods to the chain)."""
    if serves(user, shipment.merchant.belt_id):
        return True
    provider_id = provider_id_of(user)
    if provider_id is not None:
        return any(leg is not None and leg.provider_id == provider_id for leg in (giver, receiver))
    return giver is None and is_merchant_member(user, shipment.merchant_id)


def may_report_incident(user: Viewer, shipment: Shipment) -> bool:
    """Whoever may see the shipment (its merchant, the staff serving it, a provider on it)."""
    return scoped_shipments(Shipment.objects.filter(pk=shipment.pk), user).exists()


def may_resolve_incident(user: Viewer, shipment: Shipment) -> bool:
    """The staff of a center serving the merchant's belt (they decide who bears the cost)."""
    return serves(user, shipment.merchant.belt_id)


def acting_user(actor: Viewer) -> Any:
    """The user to record as having done something: ``actor``, or None for anonymous."""
    return actor if actor.is_authenticated else None
