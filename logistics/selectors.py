"""Reads of the logistics app: scoped by ``logistics.scoping`` (whoever may see the merchant,
and a provider the shipments it carries), prefetched so a list costs a fixed number of queries."""

import datetime

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    prefetch_related_objects,
)
from django.utils import timezone

from belts.scoping import Viewer

from .choices import OPEN_INCIDENT_STATES, IncidentKind, IncidentStatus, ShipmentStatus
from .models import ConditionCheck, ConditionCheckPhoto, Incident, Leg, ServiceProvider, Shipment
from .scoping import provider_id_of, scoped_shipments

DAMAGE_KINDS = (IncidentKind.DAMAGE, IncidentKind.MISSING_PART, IncidentKind.INSTALLATION_DEFECT)


# Overdue legs ------------------------------------------------------------------------------------
# "A leg is overdue": not completed and past its SLA due time. One definition, as a filter for
# querysets and as a test of one leg already loaded.
def overdue_filter(*, now: datetime.datetime) -> Q:
    """The legs overdue at ``now``: ``Leg.objects.filter(overdue_filter(now=...))``."""
    return Q(completed_at__isnull=True, sla_due_at__lt=now)


def leg_overdue_list(*, now: datetime.datetime | None = None) -> QuerySet[Leg]:
    """The legs overdue at ``now`` (default: now), the longest overdue first."""
    now = now or timezone.now()
    return Leg.objects.filter(overdue_filter(now=now)).order_by("sla_due_at", "id")


def leg_is_overdue(leg: Leg, *, now: datetime.datetime | None = None) -> bool:
    """Whether ``leg`` is overdue at ``now`` (default: now), by ``overdue_filter``'s rule."""
    now = now or timezone.now()
    return leg.completed_at is None and leg.sla_due_at < now


# Flags of a shipment, as subqueries: a list shows them without a query per row -------------------
def overdue_flag(*, now: datetime.datetime) -> Exists:
    return Exists(Leg.objects.filter(overdue_filter(now=now), shipment_id=OuterRef("pk")))


def damaged_flag() -> Exists:
    return Exists(Incident.objects.filter(shipment_id=OuterRef("pk"), kind__in=DAMAGE_KINDS))


def open_incident_flag() -> Exists:
    return Exists(
        Incident.objects.filter(shipment_id=OuterRef("pk"), status__in=OPEN_INCIDENT_STATES)
    )


def resolved_incident_flag() -> Exists:
    return Exists(
        Incident.objects.filter(shipment_id=OuterRef("pk"), status=IncidentStatus.RESOLVED)
    )


def with_flags(queryset: QuerySet[Shipment], *, now: datetime.datetime) -> QuerySet[Shipment]:
    """``is_overdue``, ``is_damaged`` and ``has_open_incident`` on each row."""
    return queryset.annotate(
        is_overdue=overdue_flag(now=now),
        is_damaged=damaged_flag(),
        has_open_incident=open_incident_flag(),
    )


# Shipments -----------------------------------------------------------------------------------
def shipment_list(*, user: Viewer, now: datetime.datetime | None = None) -> QuerySet[Shipment]:
    """The shipments ``user`` may see, newest first, with their flags and what a row shows."""
    now = now or timezone.now()
    queryset = scoped_shipments(Shipment.objects.all(), user)
    return with_flags(queryset.select_related("merchant", "destination_city"), now=now).order_by(
        "-pk"
    )


def shipment_positions_prefetch(shipments: list[Shipment]) -> list[Shipment]:
    """Load on ``shipments`` (a page of a list) what ``presenters.position_text`` reads: their
    legs with providers and the indexes of their recorded hand-overs. Two queries, whatever the
    number of shipments."""
    prefetch_related_objects(
        shipments,
        Prefetch("legs", queryset=Leg.objects.select_related("provider").order_by("sequence")),
        Prefetch("checks", queryset=ConditionCheck.objects.only("id", "shipment_id", "index")),
    )
    return shipments


def shipment_detail_prefetch(queryset: QuerySet[Shipment]) -> QuerySet[Shipment]:
    """Everything a shipment's timeline shows, in a fixed number of queries."""
    return queryset.select_related("merchant__belt", "destination_city").prefetch_related(
        Prefetch(
            "legs",
            queryset=Leg.objects.select_related("provider", "sla_breach").order_by("sequence"),
        ),
        Prefetch(
            "checks",
            queryset=ConditionCheck.objects.select_related("checked_by")
            .prefetch_related(
                Prefetch("photos", queryset=ConditionCheckPhoto.objects.order_by("id"))
            )
            .order_by("index"),
        ),
        Prefetch(
            "incidents",
            queryset=Incident.objects.select_related(
                "responsible_leg__provider", "bearer_provider"
            ).order_by("reported_at", "id"),
        ),
    )


def shipment_get(*, user: Viewer, pk: int) -> Shipment:
    """One shipment ``user`` may see, with its legs, hand-overs, photos and incidents;
    ``Shipment.DoesNotExist`` for one outside the scope (the same answer as a missing one)."""
    queryset = scoped_shipments(Shipment.objects.filter(pk=pk), user)
    return shipment_detail_prefetch(queryset).get()


# Incidents -----------------------------------------------------------------------------------
def incident_list(*, user: Viewer) -> QuerySet[Incident]:
    """The incidents of the shipments ``user`` may see, newest first."""
    queryset = scoped_shipments(Incident.objects.all(), user, "shipment")
    return queryset.select_related(
        "shipment__merchant", "responsible_leg__provider", "bearer_provider"
    ).order_by("-reported_at", "-id")


def incident_get(*, user: Viewer, pk: int) -> Incident:
    return incident_list(user=user).get(pk=pk)


# Providers -----------------------------------------------------------------------------------
def provider_list(*, user: Viewer) -> QuerySet[ServiceProvider]:
    """The providers ``user`` may look up, by name: all of them (shipments name them), but a
    provider's own user (its API key) sees only its provider."""
    queryset = ServiceProvider.objects.order_by("name", "id")
    if not user.is_authenticated:
        return queryset.none()
    provider_id = provider_id_of(user)
    if provider_id is not None:
        return queryset.filter(pk=provider_id)
    return queryset


# One shipment without its chain, for a write on it ---------------------------------------------
def shipment_visible_get(*, user: Viewer, pk: int) -> Shipment:
    """The shipment ``pk`` if ``user`` may see it (with its merchant); ``Shipment.DoesNotExist``
    otherwise, the same answer as for a missing one."""
    return scoped_shipments(Shipment.objects.filter(pk=pk), user).select_related("merchant").get()


def handover_get(*, user: Viewer, shipment_id: int, index: int) -> ConditionCheck:
    """Hand-over ``index`` of a shipment ``user`` may see; ``ConditionCheck.DoesNotExist`` for a
    hand-over not recorded or a shipment out of scope."""
    queryset = scoped_shipments(
        ConditionCheck.objects.filter(shipment_id=shipment_id, index=index), user, "shipment"
    )
    return queryset.get()


def handover_list(*, shipment: Shipment) -> QuerySet[ConditionCheck]:
    """The recorded hand-overs of ``shipment`` in order, with their photos and legs: two
    queries. The caller has checked that the shipment is visible."""
    return (
        ConditionCheck.objects.filter(shipment=shipment)
        .select_related("checked_by", "giver", "receiver")
        .prefetch_related(Prefetch("photos", queryset=ConditionCheckPhoto.objects.order_by("id")))
        .order_by("index")
    )


# A belt's page: its merchants' shipments (``config.atlas.figures``) ------------------------------
def belt_shipment_damage_counts(*, belt_id: int) -> tuple[int, int]:
    """``(shipments, damaged)`` of the belt's merchants, cancelled ones left out; damaged is
    ``damaged_flag``'s rule (an incident of damage, a missing part or a bad installation): one
    query."""
    counts = (
        Shipment.objects.filter(merchant__belt_id=belt_id)
        .exclude(status=ShipmentStatus.CANCELLED)
        .aggregate(
            shipments=Count("id"),
            damaged=Count(
                "id",
                filter=Q(
                    Exists(
                        Incident.objects.filter(shipment_id=OuterRef("pk"), kind__in=DAMAGE_KINDS)
                    )
                ),
            ),
        )
    )
    return counts["shipments"], counts["damaged"]


# The providers a belt's page lists, most legs first.
BELT_PROVIDER_LIMIT = 20


def belt_provider_leg_list(*, belt_id: int, limit: int = BELT_PROVIDER_LIMIT) -> list[dict]:
    """The providers carrying legs of the belt's merchants' shipments, with how many legs each,
    most first (at most ``limit``): one grouped query."""
    return list(
        Leg.objects.filter(shipment__merchant__belt_id=belt_id)
        .exclude(shipment__status=ShipmentStatus.CANCELLED)
        .values("provider_id", "provider__name", "provider__name_zh", "provider__kind")
        .annotate(legs=Count("id"))
        .order_by("-legs", "provider__name", "provider_id")[:limit]
    )


# Hand-over photos ----------------------------------------------------------------------------
def photo_get(*, user: Viewer, photo_id: int) -> ConditionCheckPhoto | None:
    """The hand-over photo, if ``user`` may see its shipment (``logistics.scoping``); None for
    one that does not exist or is outside the scope alike: one query."""
    photos = scoped_shipments(ConditionCheckPhoto.objects.all(), user, "check_record__shipment")
    return photos.filter(pk=photo_id).first()
