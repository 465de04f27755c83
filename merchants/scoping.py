"""Which merchants a user may see: the one definition the console, the portal, the API (session
or key) and the exports call.

- A superuser sees every merchant (the readers answer ``None``: no filter).
- Staff see the merchants of the belts their operation centers serve (``belts.scoping``).
- A portal user sees the merchants they are a member of (owner or operator).
- A user may be both: the scopes add up. Anyone else, the anonymous user included, sees none.

An API key acts through a user of its own that holds exactly one of these roles, so a key's scope
is decided here too. The filters are subqueries: scoping costs no query of its own.
"""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from belts.models import OperationCenter
from belts.scoping import Viewer, served_belt_id_subquery

from .models import Merchant, MerchantMembership

NOTHING = Q(pk__in=[])


def member_merchant_id_subquery(user: Viewer, role: str | None = None) -> QuerySet:
    """The ids of the merchants ``user`` is a member of (in ``role``, when given), as an
    unevaluated subquery."""
    if not user.is_authenticated:
        return MerchantMembership.objects.none().values("merchant_id")
    memberships = MerchantMembership.objects.filter(user_id=user.pk)
    if role is not None:
        memberships = memberships.filter(role=role)
    return memberships.values("merchant_id")


def merchant_scope(user: Viewer, merchant_path: str = "pk") -> Q | None:
    """A filter keeping the rows whose merchant, reached by the ORM path ``merchant_path``
    (``"pk"`` for merchants themselves, ``"merchant"`` for their rows), ``user`` may see; None
    (no filter) for a superuser."""
    if not user.is_authenticated:
        return NOTHING
    if user.is_superuser:
        return None
    prefix = "" if merchant_path == "pk" else f"{merchant_path}__"
    return Q(**{f"{prefix}belt_id__in": served_belt_id_subquery(user)}) | Q(
        **{f"{merchant_path}__in": member_merchant_id_subquery(user)}
    )


def scoped(queryset: QuerySet, user: Viewer, merchant_path: str = "pk") -> QuerySet:
    """``queryset`` keeping only the rows of the merchants ``user`` may see."""
    scope = merchant_scope(user, merchant_path)
    return queryset if scope is None else queryset.filter(scope)


def visible_merchants(user: Viewer) -> QuerySet[Merchant]:
    """The merchants ``user`` may see, unordered and unloaded: a base for selectors."""
    return scoped(Merchant.objects.all(), user)


def centers_serving(merchant_ids: Iterable[int]) -> dict[int, set[int]]:
    """Per merchant, the ids of the operation centers serving its belt (those whose staff see
    it): one query."""
    serving: dict[int, set[int]] = {}
    pairs = OperationCenter.belts.through.objects.filter(
        industrialbelt__merchants__in=list(merchant_ids)
    ).values_list("industrialbelt__merchants__id", "operationcenter_id")
    for merchant_id, center_id in pairs:
        serving.setdefault(merchant_id, set()).add(center_id)
    return serving
