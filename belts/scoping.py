"""What a staff member may see: the belts their operation centers serve, and the centers they
belong to. Superusers see everything, so each reader answers ``None`` for them ("no limit").

The filters are subqueries: scoping a list costs no query of its own, and the rows of another
center never leave the database. ``belt_ids_served_by`` is for callers that need the ids in
Python; it runs one query and keeps the answer on the user object, which lives for one request.
"""

from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db.models import Q, QuerySet

from .models import OperationCenter, OperationCenterMembership

# Whom a reader answers for: a signed-in user (staff or a merchant's) or an anonymous visitor.
Viewer = AbstractUser | AnonymousUser

# Where ``belt_ids_served_by`` keeps its answer on the user object.
_SERVED_BELT_IDS_ATTR = "_belt_ids_served"


def center_id_subquery(user: Viewer) -> QuerySet | None:
    """The ids of the operation centers ``user`` belongs to, as an unevaluated subquery; None for
    a superuser."""
    if user.is_superuser:
        return None
    if not user.is_authenticated:
        return OperationCenterMembership.objects.none().values_list("center_id", flat=True)
    return OperationCenterMembership.objects.filter(user_id=user.pk).values_list(
        "center_id", flat=True
    )


def served_belt_id_subquery(user: Viewer) -> QuerySet | None:
    """The ids of the belts ``user``'s centers serve, as an unevaluated subquery; None for a
    superuser."""
    center_ids = center_id_subquery(user)
    if center_ids is None:
        return None
    return OperationCenter.belts.through.objects.filter(
        operationcenter_id__in=center_ids
    ).values_list("industrialbelt_id", flat=True)


def belt_ids_served_by(user: Viewer) -> set[int] | None:
    """The ids of the belts ``user``'s centers serve; None (all belts) for a superuser.

    One query the first time in a request, none after: the answer is kept on the user object.
    """
    if user.is_superuser:
        return None
    belt_ids = getattr(user, _SERVED_BELT_IDS_ATTR, None)
    if belt_ids is None:
        subquery = served_belt_id_subquery(user)
        belt_ids = frozenset(() if subquery is None else subquery)
        setattr(user, _SERVED_BELT_IDS_ATTR, belt_ids)
    return set(belt_ids)


def belt_scope(user: Viewer, belt_path: str) -> Q | None:
    """A filter keeping the rows whose belt, reached from the row by the ORM path ``belt_path``
    (``"belt"``, ``"merchant__belt"``, ``"id"`` for belts themselves), a center of ``user``
    serves; None (no filter) for a superuser."""
    belt_ids = served_belt_id_subquery(user)
    if belt_ids is None:
        return None
    return Q(**{f"{belt_path}__in": belt_ids})


def center_scope(user: Viewer, center_path: str) -> Q | None:
    """A filter keeping the rows whose operation center, reached by ``center_path`` (``"pk"``,
    ``"center"``), ``user`` belongs to; None (no filter) for a superuser."""
    center_ids = center_id_subquery(user)
    if center_ids is None:
        return None
    return Q(**{f"{center_path}__in": center_ids})
